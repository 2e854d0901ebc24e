// Runs before each GPU test file: fails the file at once when WebGPU is missing, naming the cause.
import { beforeAll } from 'vitest';
import { sharedGpu } from './harness';

beforeAll(async () => {
  if (!navigator.gpu) {
    throw new Error(
      'navigator.gpu is undefined in the test browser: Chrome was started without WebGPU (see src/bench/chrome.mjs). ' +
        'GPU tests fail rather than skip when there is no adapter.',
    );
  }
  await sharedGpu();
});

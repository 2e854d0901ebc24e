/** Every benchmark suite, by name. A later issue's suite registers itself here with one line. */
import type { BenchSuite } from '../suite';
import { trivialSuite } from './trivial';
import { schedulerSuite } from './scheduler';
import { kernelsMatmulSuite } from './kernels-matmul';
import { kernelsElementwiseSuite } from './kernels-elementwise';
import { kernelsAttentionSuite } from './kernels-attention';
import { modelSuite } from './model';
import { servingSuite } from './serving';
import { calibrationSuite } from './calibration';
import { baselineTransformersjsSuite } from './baseline-transformersjs';

export const suites: Record<string, BenchSuite> = {
  [trivialSuite.name]: trivialSuite,
  [schedulerSuite.name]: schedulerSuite,
  [kernelsMatmulSuite.name]: kernelsMatmulSuite,
  [kernelsElementwiseSuite.name]: kernelsElementwiseSuite,
  [kernelsAttentionSuite.name]: kernelsAttentionSuite,
  [modelSuite.name]: modelSuite,
  [servingSuite.name]: servingSuite,
  [calibrationSuite.name]: calibrationSuite,
  [baselineTransformersjsSuite.name]: baselineTransformersjsSuite,
};

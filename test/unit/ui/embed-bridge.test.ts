import { describe, expect, test } from 'vitest';
import { allowedOrigins } from '../../../src/ui/embed-bridge';

describe('embed origins', () => {
  test('own origin plus exact origins from ?origins=; paths, wildcards and junk are dropped', () => {
    const got = allowedOrigins('?origins=https://course.example.org,https://x.test/path,*,not a url,http://localhost:8080', 'https://play.example');
    expect([...got].sort()).toEqual(['http://localhost:8080', 'https://course.example.org', 'https://play.example']);
  });
  test('without ?origins= only the embed’s own origin is trusted', () => {
    expect([...allowedOrigins('', 'https://play.example')]).toEqual(['https://play.example']);
  });
});

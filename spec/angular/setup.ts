// The Angular test environment: zone.js, TestBed on the browser testing platform (jsdom), and the text
// codecs jsdom leaves out.
import { TextDecoder, TextEncoder } from 'node:util';
import { setupZoneTestEnv } from 'jest-preset-angular/setup-env/zone';

Object.assign(globalThis, { TextDecoder, TextEncoder });
setupZoneTestEnv();

// What the encoding walk refuses, and how it says so: a SerializationError naming the path of
// the value (value.model.layers[1].init) and, when the value itself threw, that error as cause.
import { describe, expect, it } from 'vitest';
import { registerType, SerializationError } from '../../../src/index.js';
import { encodeValue } from '../../../src/serialization/codec/encoder.js';

describe('codec refusals', () => {
  it('refuses a function and names where it is', () => {
    const attempt = () => encodeValue({ model: { layers: [1, { init() {} }] } });
    expect(attempt).toThrow(SerializationError);
    expect(attempt).toThrow(/value\.model\.layers\[1\]\.init: it is a function \(init\)/);
    try {
      attempt();
    } catch (error) {
      expect((error as SerializationError).path).toBe('value.model.layers[1].init');
      expect((error as SerializationError).code).toBe('ERR_JOBLIB_SERIALIZATION');
    }
  });

  it('refuses a symbol', () => {
    expect(() => encodeValue([Symbol('s')])).toThrow(/value\[0\]: it is a symbol/);
  });

  it('refuses an unregistered class instance and says how to register it', () => {
    class Matrix {
      rows = 1;
    }
    expect(() => encodeValue({ 'odd key': new Map([[1, new Matrix()]]) })).toThrow(
      /value\["odd key"\]<Map entry 0>: it is an instance of class Matrix.*registerType/,
    );
  });

  it('refuses values nested beyond the call stack with a clear error', () => {
    let deep: unknown[] = [];
    const root = deep;
    for (let i = 0; i < 200_000; i++) {
      const next: unknown[] = [];
      deep.push(next);
      deep = next;
    }
    expect(() => encodeValue(root)).toThrow(/nested too deeply/);
  });

  /** The SerializationError `run` throws (failing the test if it throws something else). */
  const serializationError = (run: () => unknown): SerializationError => {
    try {
      run();
    } catch (error) {
      expect(error).toBeInstanceOf(SerializationError);
      return error as SerializationError;
    }
    throw new Error('expected a SerializationError, nothing was thrown');
  };

  it('refuses a detached ArrayBuffer or view and names where it is', () => {
    /** `view(buffer)` made over a buffer whose memory was then transferred away. */
    const detached = <T>(view: (buffer: ArrayBuffer) => T): T => {
      const buffer = new ArrayBuffer(4096);
      const made = view(buffer);
      structuredClone(buffer, { transfer: [buffer] });
      return made;
    };
    const buffer = serializationError(() => encodeValue({ cache: { bytes: detached((b) => b) } }));
    expect(buffer.path).toBe('value.cache.bytes');
    expect(buffer.message).toMatch(/value\.cache\.bytes: it is a detached ArrayBuffer: its memory was transferred/);
    expect(buffer.cause).toBeInstanceOf(TypeError);
    const view = serializationError(() => encodeValue([1, detached((b) => new Float64Array(b))]));
    expect(view.path).toBe('value[1]');
    expect(view.message).toMatch(/detached Float64Array/);
    const dataView = serializationError(() => encodeValue({ v: detached((b) => new DataView(b)) }));
    expect(dataView.path).toBe('value.v');
    expect(dataView.message).toMatch(/detached DataView/);
  });

  it('refuses a value whose getter or Proxy trap throws, naming where it is, the error as cause', () => {
    const secret = new Error('no access');
    const withGetter = {
      config: {
        get token(): string {
          throw secret;
        },
      },
    };
    const getter = serializationError(() => encodeValue(withGetter));
    expect(getter.path).toBe('value.config.token');
    expect(getter.message).toMatch(/value\.config\.token: it threw Error: no access when read \(by a getter/);
    expect(getter.cause).toBe(secret);

    const trap = new Proxy({}, {
      ownKeys: () => {
        throw new TypeError('trapped');
      },
    });
    const proxied = serializationError(() => encodeValue({ list: [0, trap] }));
    expect(proxied.path).toBe('value.list[1]');
    expect(proxied.cause).toBeInstanceOf(TypeError);
    expect(serializationError(() => encodeValue(trap)).path).toBe('value');

    class Thrower {
      readonly kind = 'thrower';
    }
    registerType(Thrower, {
      name: 'test/Thrower',
      encode: () => {
        throw new RangeError('cannot encode');
      },
      decode: () => new Thrower(),
    });
    const encoded = serializationError(() => encodeValue({ t: new Thrower() }));
    expect(encoded.path).toBe('value.t<test/Thrower state>');
    expect(encoded.message).toMatch(/RangeError: cannot encode/);
  });
});

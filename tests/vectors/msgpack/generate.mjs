// Writes vectors.json: MessagePack encodings produced by an independent implementation (@msgpack/msgpack),
// so the C# codec is checked against someone else's reading of the spec rather than its own.
// Regenerate with: npm ci && node generate.mjs   (see README.md for the description scheme)
import { readFileSync, writeFileSync } from "node:fs";
import { Encoder, ExtData, encodeTimeSpecToTimestamp } from "@msgpack/msgpack";

const INT32_MIN = -(2 ** 31);
const UINT32_MAX = 2 ** 32 - 1;

// ---- description helpers: each returns the tagged JSON description of one value ----
const int = (v) => ({ int: BigInt(v).toString() });
const f64 = (v) => ({ float64: floatText(v) });
const f32 = (v) => ({ float32: floatText(Math.fround(v)) });
const bin = (bytes) => ({ bin: hex(bytes) });
const ext = (type, bytes) => ({ ext: type, data: hex(bytes) });
const extRange = (type, count) => ({ ext: type, data_range: count });
const ts = (sec, nsec) => ({ timestamp: { sec: BigInt(sec).toString(), nsec } });
const map = (...entries) => ({ map: entries });
const repeat = (value, count) => ({ repeat: value, count });
const strRepeat = (unit, count) => ({ str_repeat: unit, count });
const binRange = (count) => ({ bin_range: count });
const mapRange = (count) => ({ map_range: count });

function floatText(v) {
  if (Number.isNaN(v)) return "NaN";
  if (v === Infinity) return "Infinity";
  if (v === -Infinity) return "-Infinity";
  if (Object.is(v, -0)) return "-0";
  return v;
}

function floatValue(text) {
  switch (text) {
    case "NaN": return NaN;
    case "Infinity": return Infinity;
    case "-Infinity": return -Infinity;
    case "-0": return -0;
    default: return text;
  }
}

function hex(bytes) {
  return Buffer.from(bytes).toString("hex");
}

function bytesOf(length, seed = 0) {
  return Uint8Array.from({ length }, (_, i) => (i + seed) & 0xff);
}

// ---- description -> JS value that @msgpack/msgpack encodes as described ----
// `options` are the encoder options of the vector; a description the encoder cannot express under them is a
// bug in this script, so it throws instead of silently producing a different encoding.
function toJs(d, options) {
  if (d === null || typeof d === "boolean" || typeof d === "string") return d;
  if (Array.isArray(d)) return d.map((x) => toJs(x, options));
  if ("int" in d) {
    if (options.forceIntegerToFloat) throw new Error("int in a forceIntegerToFloat vector");
    const big = BigInt(d.int);
    // With useBigInt64 a Number outside 32 bits would become a float, and a bigint is always 64-bit:
    // only values that need 64 bits anyway travel as bigint.
    return big < BigInt(INT32_MIN) || big > BigInt(UINT32_MAX) ? big : Number(big);
  }
  if ("float64" in d) {
    if (options.forceFloat32) throw new Error("float64 in a forceFloat32 vector");
    const v = floatValue(d.float64);
    if (Number.isSafeInteger(v)) {
      if (!options.forceIntegerToFloat) throw new Error(`integral float64 ${v} needs forceIntegerToFloat`);
    }
    return v;
  }
  if ("float32" in d) {
    if (!options.forceFloat32) throw new Error("float32 needs forceFloat32");
    const v = floatValue(d.float32);
    if (Number.isSafeInteger(v) && !options.forceIntegerToFloat) {
      throw new Error(`integral float32 ${v} needs forceIntegerToFloat`);
    }
    return v;
  }
  if ("bin" in d) return Uint8Array.from(Buffer.from(d.bin, "hex"));
  if ("bin_range" in d) return bytesOf(d.bin_range);
  if ("ext" in d && "data_range" in d) return new ExtData(d.ext, bytesOf(d.data_range));
  if ("ext" in d) return new ExtData(d.ext, Uint8Array.from(Buffer.from(d.data, "hex")));
  if ("timestamp" in d) {
    const spec = { sec: Number(d.timestamp.sec), nsec: d.timestamp.nsec };
    return new ExtData(-1, encodeTimeSpecToTimestamp(spec));
  }
  if ("map" in d) {
    const obj = {};
    for (const [k, v] of d.map) {
      if (typeof k !== "string") throw new Error("@msgpack/msgpack encodes string keys only");
      if (/^(0|[1-9][0-9]*)$/.test(k)) throw new Error(`integer-like key '${k}' would be reordered by JS`);
      obj[k] = toJs(v, options);
    }
    return obj;
  }
  if ("map_range" in d) {
    // Integer-like keys enumerate in ascending numeric order, which is exactly insertion order here.
    const obj = {};
    for (let i = 0; i < d.map_range; i++) obj[String(i)] = null;
    return obj;
  }
  if ("repeat" in d) return Array.from({ length: d.count }, () => toJs(d.repeat, options));
  if ("str_repeat" in d) return d.str_repeat.repeat(d.count);
  throw new Error(`unknown description ${JSON.stringify(d)}`);
}

const vectors = [];

function vector(name, description, options = {}) {
  const encoder = new Encoder({ useBigInt64: true, ...options });
  const bytes = encoder.encode(toJs(description, options));
  vectors.push({ name, json: description, hex: hex(bytes) });
}

// A Date goes through the library's own Date -> timestamp path rather than our (sec, nsec) description.
function dateVector(name, date) {
  const ms = date.getTime();
  const sec = Math.floor(ms / 1000);
  const nsec = (ms - sec * 1000) * 1e6;
  const bytes = new Encoder().encode(date);
  vectors.push({ name, json: ts(sec, nsec), hex: hex(bytes) });
}

// nil / bool
vector("nil", null);
vector("false", false);
vector("true", true);

// integers: every boundary between two encodings, from both sides
const ints = [
  0, 1, 127, 128, 255, 256, 65535, 65536, UINT32_MAX, 2 ** 32, 2 ** 53 - 1, 2n ** 53n, 2n ** 63n - 1n,
  2n ** 63n, 2n ** 64n - 1n,
  -1, -31, -32, -33, -127, -128, -129, -32767, -32768, -32769, INT32_MIN + 1, INT32_MIN, INT32_MIN - 1,
  -(2 ** 53) + 1, -(2n ** 63n) + 1n, -(2n ** 63n),
];
for (const v of ints) vector(`int ${v}`, int(v));

// floats: float64 by default; float32 via forceFloat32; integral values via forceIntegerToFloat
for (const v of [0.5, -0.5, 1.1, Math.PI, -1e-300, 5e-324, 2 ** 51 + 0.5, NaN, Infinity, -Infinity]) {
  vector(`float64 ${floatText(v)}`, f64(v));
}
for (const v of [0, -0, 1, -1, 2 ** 53, 1e300, 1.7976931348623157e308]) {
  vector(`float64 integral ${floatText(v)}`, f64(v), { forceIntegerToFloat: true });
}
for (const v of [0.5, -0.25, 1.1, 3.4028234663852886e38, 1.401298464324817e-45, NaN, Infinity, -Infinity]) {
  vector(`float32 ${floatText(v)}`, f32(v), { forceFloat32: true });
}
for (const v of [0, -0, 1, 16777216]) {
  vector(`float32 integral ${floatText(v)}`, f32(v), { forceFloat32: true, forceIntegerToFloat: true });
}

// strings: byte lengths at the fixstr/str8/str16/str32 boundaries, ASCII and multi-byte
vector("str empty", "");
vector("str 1", "a");
vector("str 31 ascii", "x".repeat(31));
vector("str 32 ascii", "x".repeat(32));
vector("str 255 ascii", "y".repeat(255));
vector("str 256 ascii", "y".repeat(256));
vector("str 65535 ascii", strRepeat("z", 65535));
vector("str 65536 ascii", strRepeat("z", 65536));
vector("str 31 bytes multibyte", "é".repeat(15) + "a"); // 2-byte sequences
vector("str 32 bytes multibyte", "é".repeat(16));
vector("str 255 bytes multibyte", "€".repeat(85)); // 3-byte sequences
vector("str 256 bytes multibyte", "😀".repeat(64)); // 4-byte sequences (surrogate pairs in UTF-16)
vector("str 65535 bytes multibyte", strRepeat("€", 21845));
vector("str 65536 bytes multibyte", strRepeat("😀", 16384));
vector("str mixed scripts", "héllo wörld – 日本語 – 😀👍 – \u0000 nul");

// binary
for (const n of [0, 1, 255, 256]) vector(`bin ${n}`, bin(bytesOf(n)));
vector("bin 65535", binRange(65535));
vector("bin 65536", binRange(65536));

// extensions: fixext when the length matches exactly, else ext8/16/32
for (const n of [1, 2, 4, 8, 16]) vector(`fixext ${n}`, ext(5, bytesOf(n, 1)));
for (const n of [0, 3, 17, 255]) vector(`ext8 ${n}`, ext(42, bytesOf(n, 2)));
vector("ext type -128", ext(-128, bytesOf(3)));
vector("ext type 127", ext(127, bytesOf(1)));
vector("ext16 256", ext(7, bytesOf(256)));
vector("ext16 65535", extRange(7, 65535));
vector("ext32 65536", extRange(-5, 65536));

// timestamps in all three sizes
vector("timestamp32 epoch", ts(0, 0));
vector("timestamp32 max", ts(UINT32_MAX, 0));
vector("timestamp64 nsec", ts(1_700_000_000, 123_456_789));
vector("timestamp64 2^32", ts(2 ** 32, 0));
vector("timestamp64 max", ts(2 ** 34 - 1, 999_999_999));
vector("timestamp96 2^34", ts(2 ** 34, 0));
vector("timestamp96 pre-1970", ts(-1, 0));
vector("timestamp96 pre-1970 nsec", ts(-86_400 * 365, 500_000_000));
vector("timestamp96 year 1", ts(-62_135_596_800, 0));
dateVector("date 2024-02-29T12:34:56.789Z", new Date(Date.UTC(2024, 1, 29, 12, 34, 56, 789)));
dateVector("date 1969-12-31T23:59:59.999Z", new Date(-1));

// arrays: fixarray/array16/array32 boundaries
vector("array 0", []);
vector("array 1", [int(1)]);
vector("array 15", repeat(int(7), 15));
vector("array 16", repeat(int(7), 16));
vector("array 65535", repeat(null, 65535));
vector("array 65536", repeat(null, 65536));

// maps: fixmap/map16/map32 boundaries
vector("map 0", map());
vector("map 1", map(["a", int(1)]));
vector("map 15", map(...Array.from({ length: 15 }, (_, i) => [`k${i}`, int(i)])));
vector("map 16", map(...Array.from({ length: 16 }, (_, i) => [`k${i}`, int(i)])));
vector("map 65536", mapRange(65536));

// nested structures
vector("nested mixed", map(
  ["type", "request"],
  ["seq", int(42)],
  ["list", [int(-1), f64(0.25), null, true, "s", [[], map()]]],
  ["bin", bin([0xde, 0xad, 0xbe, 0xef])],
  ["when", ts(1_700_000_000, 1)],
  ["ext", ext(1, [9])],
  ["deep", [[[[[[[[[[["bottom"]]]]]]]]]]]],
  ["big", [int(2n ** 64n - 1n), int(-(2n ** 63n)), int(65536)]],
));
vector("nested 100 arrays", JSON.parse("[".repeat(100) + "]".repeat(100)));

// ---- envelope vectors: whole DAP messages as a MessagePack-speaking client would send them ----
// `json` is the same message as the JSON codec's header (data removed), `data` the binary payload.
const envelopes = [];
function envelope(name, message, data) {
  const json = structuredClone(message);
  if (data !== undefined) {
    if (json.type === "request") message.arguments.data = data;
    else message.data = data;
  }
  const bytes = new Encoder().encode(message);
  envelopes.push({ name, json, data: data === undefined ? null : hex(data), hex: hex(bytes) });
}

envelope("request with binary data", {
  type: "request", seq: 1, command: "execute",
  arguments: { token: "tk-1", pipeline: { name: "demo", lanes: ["text", "image"] } },
}, Uint8Array.from([0x00, 0x01, 0x0a, 0xff]));
envelope("request without data, root token", {
  type: "request", seq: 2, command: "status", arguments: { limit: 300, ratio: 0.75 }, token: "root-token",
});
envelope("response with body", {
  type: "response", seq: 7, request_seq: 2, command: "status", success: true,
  body: { state: "running", progress: 0.5, counts: [1, -2, 70000], done: false, error: null },
});
envelope("failed response", {
  type: "response", seq: 8, request_seq: 3, command: "execute", success: false, message: "Pipeline not found",
});
envelope("response with binary data", {
  type: "response", seq: 9, request_seq: 4, command: "fetch", success: true, body: { mime: "image/png" },
}, bytesOf(300));
envelope("event", {
  type: "event", seq: 10, event: "apaevt_status_update", id: "task-1",
  body: { __id: "abc", status: "ok", at: 1.25 },
});

const output = {
  generator: "@msgpack/msgpack",
  version: JSON.parse(readFileSync(new URL("./node_modules/@msgpack/msgpack/package.json", import.meta.url))).version,
  vectors,
  envelopes,
};
writeFileSync(new URL("./vectors.json", import.meta.url), JSON.stringify(output, null, 1) + "\n");
console.log(`wrote ${vectors.length} vectors and ${envelopes.length} envelopes`);

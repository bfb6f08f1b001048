// joblib-ts's optional native helpers, through Node-API (one binary serves every Node version).
// Four things JavaScript cannot do here:
//   adviseHugePages(view): asks the kernel for transparent huge pages over a big buffer that
//     nothing has touched yet (madvise MADV_HUGEPAGE), as numpy does for its arrays. On this VM
//     a fresh 200 MB buffer otherwise costs ~51,000 page faults on first touch; with huge pages
//     it costs ~100.
//   mapFile(path): an ArrayBuffer over a private (copy-on-write) mapping of a file, as numpy's
//     memmap: a worker process reads a large argument's file without copying it, touching only
//     the pages its tasks read, all workers sharing the page cache's one copy.
//   lz4DecodeBlocks / lz4DecodeBlocksAsync: decodes independent LZ4 blocks straight into their
//     place in one output buffer (lz4-napi returns a fresh buffer per block, which then has to
//     be copied), several at a time on libuv's thread pool.
//   inflateOpen / inflateStep / inflateStepAsync: Node's own zlib inflating a file a chunk at a
//     time straight into one output buffer of ours (node:zlib allocates its own output, and
//     wants its whole input at once).
// Nothing here trusts its input: every read and write of a block is bounds-checked, and a
// block that would read or write past its limits reports -1 instead of decoding.
// When this binary is missing (another platform, no compiler at install), the library uses
// its JavaScript paths; see src/native.ts.

#include <node_api.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define HUGE_PAGE ((uintptr_t)2 * 1024 * 1024)

#define CHECK(call)                                                                          \
  do {                                                                                       \
    if ((call) != napi_ok) return NULL;                                                      \
  } while (0)

// ---------------------------------------------------------------------------------------------
// Views

typedef struct {
  uint8_t* data;
  size_t length;
} Bytes;

// The bytes of an ArrayBuffer, a typed array or a DataView; false for anything else.
static int bytes_of(napi_env env, napi_value value, Bytes* out) {
  bool is;
  if (napi_is_typedarray(env, value, &is) == napi_ok && is) {
    napi_typedarray_type type;
    size_t length;
    void* data;
    size_t offset;
    if (napi_get_typedarray_info(env, value, &type, &length, &data, NULL, &offset) != napi_ok) return 0;
    size_t unit = 1;
    switch (type) {
      case napi_int16_array: case napi_uint16_array: unit = 2; break;
      case napi_int32_array: case napi_uint32_array: case napi_float32_array: unit = 4; break;
      case napi_float64_array: case napi_bigint64_array: case napi_biguint64_array: unit = 8; break;
      default: unit = 1;
    }
    out->data = (uint8_t*)data;
    out->length = length * unit;
    return 1;
  }
  if (napi_is_dataview(env, value, &is) == napi_ok && is) {
    void* data;
    size_t offset;
    if (napi_get_dataview_info(env, value, &out->length, &data, NULL, &offset) != napi_ok) return 0;
    out->data = (uint8_t*)data;
    return 1;
  }
  if (napi_is_arraybuffer(env, value, &is) == napi_ok && is) {
    void* data;
    if (napi_get_arraybuffer_info(env, value, &data, &out->length) != napi_ok) return 0;
    out->data = (uint8_t*)data;
    return 1;
  }
  return 0;
}

static napi_value throw_type(napi_env env, const char* message) {
  napi_throw_type_error(env, NULL, message);
  return NULL;
}

// ---------------------------------------------------------------------------------------------
// Work on libuv's thread pool

// A job run on libuv's thread pool behind a promise; the first member of a struct that holds
// what `run` works on. The four arguments it was given stay alive until it is done.
typedef struct Job {
  void (*run)(struct Job* job);     // on the pool
  void (*settled)(struct Job* job); // on the JS thread, before the promise settles; may be NULL
  const char* what;                 // "the LZ4 decode": what a cancelled job's error names
  napi_ref values[4];
  napi_deferred deferred;
  napi_async_work work;
} Job;

static void execute_job(napi_env env, void* data) {
  (void)env;
  Job* job = (Job*)data;
  job->run(job);
}

static void complete_job(napi_env env, napi_status status, void* data) {
  Job* job = (Job*)data;
  if (job->settled != NULL) job->settled(job);
  for (int i = 0; i < 4; i++) napi_delete_reference(env, job->values[i]);
  if (status == napi_ok) {
    napi_value undefined;
    napi_get_undefined(env, &undefined);
    napi_resolve_deferred(env, job->deferred, undefined);
  } else {
    char text[128];
    snprintf(text, sizeof text, "%s was cancelled", job->what);
    napi_value message, error;
    napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &message);
    napi_create_error(env, NULL, message, &error);
    napi_reject_deferred(env, job->deferred, error);
  }
  napi_delete_async_work(env, job->work);
  free(job);
}

// Queues `job` (calloc'd, its run and what set) holding argv[0..3]: the promise, or NULL after
// throwing, with the job freed.
static napi_value queue_job(napi_env env, Job* job, napi_value* argv, const char* name) {
  for (int i = 0; i < 4; i++) {
    if (napi_create_reference(env, argv[i], 1, &job->values[i]) != napi_ok) {
      for (int j = 0; j < i; j++) napi_delete_reference(env, job->values[j]);
      free(job);
      return NULL;
    }
  }
  napi_value promise, resource;
  if (napi_create_promise(env, &job->deferred, &promise) != napi_ok ||
      napi_create_string_utf8(env, name, NAPI_AUTO_LENGTH, &resource) != napi_ok ||
      napi_create_async_work(env, NULL, resource, execute_job, complete_job, job, &job->work) != napi_ok ||
      napi_queue_async_work(env, job->work) != napi_ok) {
    for (int i = 0; i < 4; i++) napi_delete_reference(env, job->values[i]);
    char text[128];
    snprintf(text, sizeof text, "could not queue %s", job->what);
    free(job);
    napi_throw_error(env, NULL, text);
    return NULL;
  }
  return promise;
}

// ---------------------------------------------------------------------------------------------
// Huge pages

// adviseHugePages(view): true when the kernel accepted the advice for the whole 2 MiB pages
// inside the view. Harmless on memory already touched (khugepaged may merge it later).
static napi_value advise_huge_pages(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  Bytes view;
  if (argc < 1 || !bytes_of(env, argv[0], &view)) return throw_type(env, "adviseHugePages takes a buffer");
  int advised = 0;
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  uintptr_t start = ((uintptr_t)view.data + HUGE_PAGE - 1) & ~(HUGE_PAGE - 1);
  uintptr_t end = ((uintptr_t)view.data + view.length) & ~(HUGE_PAGE - 1);
  if (view.data != NULL && end > start) advised = madvise((void*)start, end - start, MADV_HUGEPAGE) == 0;
#endif
  napi_value result;
  CHECK(napi_get_boolean(env, advised, &result));
  return result;
}

// ---------------------------------------------------------------------------------------------
// File mappings

static void unmap_file(napi_env env, void* data, void* hint) {
  (void)env;
  munmap(data, (size_t)(uintptr_t)hint);
}

// Throws an Error with the errno's code (`ENOENT`, …) as Node's fs errors have.
static napi_value throw_errno(napi_env env, int error, const char* what) {
  char message[4096 + 256];
  snprintf(message, sizeof message, "%s: %s", what, strerror(error));
  const char* code = error == ENOENT ? "ENOENT" : error == EACCES ? "EACCES" : error == ENOMEM ? "ENOMEM" : "EIO";
  napi_throw_error(env, code, message);
  return NULL;
}

// mapFile(path): an ArrayBuffer over the whole file, mapped private and writable (a write changes
// this process's pages only, never the file), or null where this Node refuses external buffers.
// The file must not shrink while it is mapped (a read past its new end would be SIGBUS): the
// files given here are written whole before, and only ever unlinked after.
static napi_value map_file(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  char path[4096];
  size_t length;
  if (argc < 1 || napi_get_value_string_utf8(env, argv[0], path, sizeof path, &length) != napi_ok ||
      length >= sizeof path - 1 || strlen(path) != length) {
    return throw_type(env, "mapFile takes a path (without NUL bytes)");
  }
  const int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return throw_errno(env, errno, path);
  struct stat info_;
  if (fstat(fd, &info_) != 0) {
    const int error = errno;
    close(fd);
    return throw_errno(env, error, path);
  }
  const size_t size = (size_t)info_.st_size;
  napi_value result;
  if (size == 0) {
    close(fd);
    CHECK(napi_create_arraybuffer(env, 0, NULL, &result));
    return result;
  }
  void* data = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
  const int error = errno;
  close(fd);
  if (data == MAP_FAILED) return throw_errno(env, error, path);
  if (napi_create_external_arraybuffer(env, data, size, unmap_file, (void*)(uintptr_t)size, &result) != napi_ok) {
    munmap(data, size);
    napi_value null_;
    CHECK(napi_get_null(env, &null_));
    return null_;
  }
  return result;
}

// ---------------------------------------------------------------------------------------------
// LZ4 blocks

// Reads an LZ4 length extension (bytes of 255 then a last byte below 255); -1 past the input.
static inline int64_t read_extension(const uint8_t** ip, const uint8_t* iend) {
  int64_t length = 0;
  unsigned byte;
  do {
    if (*ip >= iend) return -1;
    byte = *(*ip)++;
    length += byte;
  } while (byte == 255);
  return length;
}

// Copies `length` bytes in 16-byte steps: up to 15 bytes more are read and written.
static inline void copy16s(uint8_t* to, const uint8_t* from, size_t length) {
  uint8_t* const end = to + length;
  do {
    memcpy(to, from, 16);
    to += 16;
    from += 16;
  } while (to < end);
}

// Decodes one LZ4 block (the raw block format, no frame) into dst[0, capacity). Returns the
// decoded length, or -1 when the block is malformed, reads past its input, refers before the
// start of its output, or would write past capacity.
static int64_t lz4_decode_block(const uint8_t* src, size_t src_length, uint8_t* dst, size_t capacity) {
  const uint8_t* ip = src;
  const uint8_t* const iend = src + src_length;
  uint8_t* op = dst;
  uint8_t* const oend = dst + capacity;
  if (src_length == 0) return -1;
  for (;;) {
    if (ip >= iend) return -1;
    const unsigned token = *ip++;

    size_t literals = token >> 4;
    if (literals == 15) {
      int64_t more = read_extension(&ip, iend);
      if (more < 0) return -1;
      literals += (size_t)more;
    }
    if (literals > (size_t)(iend - ip) || literals > (size_t)(oend - op)) return -1;
    // With room past the run on both sides, copy in fixed 16-byte steps (a few register moves;
    // memcpy of a variable length is a call), overrunning into bytes that later sequences write.
    if ((size_t)(iend - ip) - literals >= 16 && (size_t)(oend - op) - literals >= 16) copy16s(op, ip, literals);
    else memcpy(op, ip, literals);
    op += literals;
    ip += literals;
    if (ip == iend) return op - dst; // the last sequence has literals only

    if (iend - ip < 2) return -1;
    const size_t offset = (size_t)ip[0] | ((size_t)ip[1] << 8);
    ip += 2;
    if (offset == 0 || offset > (size_t)(op - dst)) return -1;

    size_t match = token & 15;
    if (match == 15) {
      int64_t more = read_extension(&ip, iend);
      if (more < 0) return -1;
      match += (size_t)more;
    }
    match += 4;
    if (match > (size_t)(oend - op)) return -1;

    const uint8_t* from = op - offset;
    const int room = (size_t)(oend - op) - match >= 16;
    if (offset >= 16 && room) {
      // Apart by 16 or more, each 16-byte step reads only bytes written before it.
      copy16s(op, from, match);
    } else if (offset >= 8 && room) {
      for (size_t i = 0; i < match; i += 8) memcpy(op + i, from + i, 8);
    } else if (offset >= match) {
      memcpy(op, from, match);
    } else {
      for (size_t i = 0; i < match; i++) op[i] = from[i];
    }
    op += match;
  }
}

// One block's place: [sourceStart, sourceEnd) in the input, [outputStart, outputStart + capacity)
// in the output, and whether the block is stored uncompressed. Results hold the decoded length,
// or -1.
typedef struct {
  const uint8_t* source;
  size_t source_length;
  uint8_t* output;
  size_t output_length;
  const double* layout; // 5 numbers a block
  double* results;
  size_t first;
  size_t count;
} Blocks;

#define LAYOUT_FIELDS 5

static void decode_blocks(const Blocks* blocks) {
  for (size_t b = blocks->first; b < blocks->first + blocks->count; b++) {
    const double* entry = blocks->layout + b * LAYOUT_FIELDS;
    const double source_start = entry[0], source_end = entry[1], output_start = entry[2], capacity = entry[3];
    int64_t decoded = -1;
    if (source_start >= 0 && source_end >= source_start && source_end <= (double)blocks->source_length &&
        output_start >= 0 && capacity >= 0 && output_start + capacity <= (double)blocks->output_length) {
      const uint8_t* from = blocks->source + (size_t)source_start;
      const size_t length = (size_t)source_end - (size_t)source_start;
      uint8_t* to = blocks->output + (size_t)output_start;
      if (entry[4] != 0) {
        if (length <= (size_t)capacity) {
          memcpy(to, from, length);
          decoded = (int64_t)length;
        }
      } else {
        decoded = lz4_decode_block(from, length, to, (size_t)capacity);
      }
    }
    blocks->results[b] = (double)decoded;
  }
}

// Reads (source, output, layout, results, first, count) into blocks; throws and returns 0 on
// bad arguments.
static int blocks_of(napi_env env, napi_value* argv, size_t argc, Blocks* blocks) {
  Bytes source, output, layout, results;
  if (argc < 6 || !bytes_of(env, argv[0], &source) || !bytes_of(env, argv[1], &output) ||
      !bytes_of(env, argv[2], &layout) || !bytes_of(env, argv[3], &results)) {
    throw_type(env, "lz4DecodeBlocks takes (source, output, layout: Float64Array, results: Float64Array, first, count)");
    return 0;
  }
  double first, count;
  // Written so that NaN fails too.
  if (napi_get_value_double(env, argv[4], &first) != napi_ok || napi_get_value_double(env, argv[5], &count) != napi_ok ||
      !(first >= 0) || !(count >= 0)) {
    throw_type(env, "lz4DecodeBlocks: first and count must be numbers >= 0");
    return 0;
  }
  const size_t blocks_in_layout = layout.length / (LAYOUT_FIELDS * sizeof(double));
  if (!(first + count <= (double)blocks_in_layout) || results.length / sizeof(double) < blocks_in_layout ||
      ((uintptr_t)layout.data % sizeof(double)) != 0 || ((uintptr_t)results.data % sizeof(double)) != 0) {
    throw_type(env, "lz4DecodeBlocks: the blocks asked for are not all in layout and results");
    return 0;
  }
  blocks->source = source.data;
  blocks->source_length = source.length;
  blocks->output = output.data;
  blocks->output_length = output.length;
  blocks->layout = (const double*)layout.data;
  blocks->results = (double*)results.data;
  blocks->first = (size_t)first;
  blocks->count = (size_t)count;
  return 1;
}

// lz4DecodeBlocks(source, output, layout, results, first, count): on this thread.
static napi_value lz4_decode_blocks(napi_env env, napi_callback_info info) {
  size_t argc = 6;
  napi_value argv[6];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  Blocks blocks;
  if (!blocks_of(env, argv, argc, &blocks)) return NULL;
  decode_blocks(&blocks);
  return NULL;
}

typedef struct {
  Job job; // first: the Job is the whole struct
  Blocks blocks;
} DecodeJob;

static void run_decode(Job* job) {
  decode_blocks(&((DecodeJob*)job)->blocks);
}

// lz4DecodeBlocksAsync(source, output, layout, results, first, count): a promise, settled when
// the blocks are decoded on libuv's thread pool. The caller must leave the buffers alone until
// then.
static napi_value lz4_decode_blocks_async(napi_env env, napi_callback_info info) {
  size_t argc = 6;
  napi_value argv[6];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  DecodeJob* decode = (DecodeJob*)calloc(1, sizeof(DecodeJob));
  if (decode == NULL) {
    napi_throw_error(env, NULL, "out of memory");
    return NULL;
  }
  if (!blocks_of(env, argv, argc, &decode->blocks)) {
    free(decode);
    return NULL;
  }
  decode->job.run = run_decode;
  decode->job.what = "the LZ4 decode";
  return queue_job(env, &decode->job, argv, "joblib-ts:lz4");
}

// ---------------------------------------------------------------------------------------------
// Inflate into a given buffer

// node:zlib allocates its own output and has no way to inflate into a buffer of ours (huge
// pages, the one buffer of the result) a piece of input at a time. The zlib inside Node
// exports its functions to add-ons, so the stream is driven here: the caller reads the file a
// chunk at a time and hands each chunk to inflateStep with the output still to fill. The
// declarations are zlib's (its ABI has not changed since 1.2.0); they are weak, so that a Node
// without them still loads this file, and inflateOpen then returns null.
#if defined(__linux__)
typedef struct {
  const uint8_t* next_in;
  unsigned avail_in;
  unsigned long total_in;
  uint8_t* next_out;
  unsigned avail_out;
  unsigned long total_out;
  const char* msg;
  void* state;
  void* zalloc;
  void* zfree;
  void* opaque;
  int data_type;
  unsigned long adler;
  unsigned long reserved;
} ZStream;

extern int inflateInit2_(ZStream* stream, int window_bits, const char* version, int stream_size) __attribute__((weak));
extern int inflate(ZStream* stream, int flush) __attribute__((weak));
extern int inflateEnd(ZStream* stream) __attribute__((weak));
#define HAS_ZLIB (inflateInit2_ != NULL && inflate != NULL && inflateEnd != NULL)
#define Z_NO_FLUSH_ 0
#define Z_OK_ 0

typedef struct {
  ZStream z;
  int busy; // a step is running on the thread pool
} Inflater;

static void close_inflater(napi_env env, void* data, void* hint) {
  (void)env;
  (void)hint;
  Inflater* inflater = (Inflater*)data;
  inflateEnd(&inflater->z);
  free(inflater);
}
#endif

// inflateOpen(gzip): a zlib (or, when gzip, a gzip) inflate stream for inflateStep, or null
// where Node's zlib is not there to drive.
static napi_value inflate_open(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  bool gzip = false;
  if (argc < 1 || napi_get_value_bool(env, argv[0], &gzip) != napi_ok) return throw_type(env, "inflateOpen takes a boolean");
  napi_value result;
  CHECK(napi_get_null(env, &result));
#if defined(__linux__)
  if (!HAS_ZLIB) return result;
  Inflater* inflater = (Inflater*)calloc(1, sizeof(Inflater));
  if (inflater == NULL) return result;
  if (inflateInit2_(&inflater->z, gzip ? 31 : 15, "1.2.11", (int)sizeof(ZStream)) != Z_OK_) {
    free(inflater);
    return result;
  }
  if (napi_create_external(env, inflater, close_inflater, NULL, &result) != napi_ok) {
    inflateEnd(&inflater->z);
    free(inflater);
    CHECK(napi_get_null(env, &result));
  }
#else
  (void)gzip;
#endif
  return result;
}

#if defined(__linux__)
typedef struct {
  Inflater* inflater;
  Bytes input;
  Bytes output;
  double* results; // status, input bytes consumed, output bytes produced
} Step;

static void run_step(Step* step) {
  ZStream* z = &step->inflater->z;
  const unsigned most = 0xFFFFFFFFu;
  static uint8_t none[1]; // zlib refuses a NULL pointer even with nothing behind it
  z->next_in = step->input.data != NULL ? step->input.data : none;
  z->avail_in = step->input.length > most ? most : (unsigned)step->input.length;
  z->next_out = step->output.data != NULL ? step->output.data : none;
  z->avail_out = step->output.length > most ? most : (unsigned)step->output.length;
  const unsigned in = z->avail_in, out = z->avail_out;
  const int status = inflate(z, Z_NO_FLUSH_);
  step->results[0] = status;
  step->results[1] = (double)(in - z->avail_in);
  step->results[2] = (double)(out - z->avail_out);
  z->next_in = NULL;
  z->next_out = NULL;
}

static int step_of(napi_env env, napi_value* argv, size_t argc, Step* step) {
  Bytes results;
  void* inflater = NULL;
  napi_valuetype type = napi_undefined;
  if (argc < 4 || napi_typeof(env, argv[0], &type) != napi_ok || type != napi_external ||
      napi_get_value_external(env, argv[0], &inflater) != napi_ok || !bytes_of(env, argv[1], &step->input) ||
      !bytes_of(env, argv[2], &step->output) || !bytes_of(env, argv[3], &results) ||
      results.length < 3 * sizeof(double) || ((uintptr_t)results.data % sizeof(double)) != 0) {
    throw_type(env, "inflateStep takes (stream, input, output, results: Float64Array of 3)");
    return 0;
  }
  step->inflater = (Inflater*)inflater;
  if (step->inflater->busy) {
    throw_type(env, "inflateStep: the stream's previous step has not finished");
    return 0;
  }
  step->results = (double*)results.data;
  return 1;
}
#endif

// inflateStep(stream, input, output, results): inflates from `input` into `output` until one of
// them is used up, the stream ends or fails; results become zlib's status (0 going on, 1 the
// stream ended and its checksum matched, below 0 an error; -5: no progress was possible), the
// input bytes consumed and the output bytes produced.
static napi_value inflate_step(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
#if defined(__linux__)
  Step step;
  if (!step_of(env, argv, argc, &step)) return NULL;
  run_step(&step);
  return NULL;
#else
  return throw_type(env, "inflateStep: no inflate stream here");
#endif
}

#if defined(__linux__)
typedef struct {
  Job job; // first: the Job is the whole struct
  Step step;
} StepJob;

static void run_step_job(Job* job) {
  run_step(&((StepJob*)job)->step);
}

static void step_settled(Job* job) {
  ((StepJob*)job)->step.inflater->busy = 0;
}
#endif

// inflateStepAsync(stream, input, output, results): inflateStep on libuv's thread pool; nothing
// may touch the stream or the buffers until the promise settles.
static napi_value inflate_step_async(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
#if defined(__linux__)
  StepJob* step = (StepJob*)calloc(1, sizeof(StepJob));
  if (step == NULL) {
    napi_throw_error(env, NULL, "out of memory");
    return NULL;
  }
  if (!step_of(env, argv, argc, &step->step)) {
    free(step);
    return NULL;
  }
  step->job.run = run_step_job;
  step->job.settled = step_settled;
  step->job.what = "the inflate step";
  Inflater* inflater = step->step.inflater; // the job may be freed once queued
  napi_value promise = queue_job(env, &step->job, argv, "joblib-ts:inflate");
  if (promise != NULL) inflater->busy = 1;
  return promise;
#else
  return throw_type(env, "inflateStepAsync: no inflate stream here");
#endif
}

// ---------------------------------------------------------------------------------------------

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor properties[] = {
    {"adviseHugePages", NULL, advise_huge_pages, NULL, NULL, NULL, napi_enumerable, NULL},
    {"mapFile", NULL, map_file, NULL, NULL, NULL, napi_enumerable, NULL},
    {"lz4DecodeBlocks", NULL, lz4_decode_blocks, NULL, NULL, NULL, napi_enumerable, NULL},
    {"lz4DecodeBlocksAsync", NULL, lz4_decode_blocks_async, NULL, NULL, NULL, napi_enumerable, NULL},
    {"inflateOpen", NULL, inflate_open, NULL, NULL, NULL, napi_enumerable, NULL},
    {"inflateStep", NULL, inflate_step, NULL, NULL, NULL, napi_enumerable, NULL},
    {"inflateStepAsync", NULL, inflate_step_async, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  CHECK(napi_define_properties(env, exports, sizeof(properties) / sizeof(properties[0]), properties));
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)

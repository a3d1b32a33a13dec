/*
 * bpfkit_linux: the smallest bridge from Node to the bpf(2) syscall.
 *
 * Built on first use with `cc -shared -fPIC` by @bpfkit/linux (never at install
 * time). It declares the few Node-API functions it needs itself instead of
 * including <node_api.h>, so a C compiler is the only build requirement:
 * Node-API is a stable C ABI, and these signatures never change.
 *
 * Every function returns a number instead of throwing: -errno on failure.
 * Address bookkeeping (which ranges belong to the caller) lives in JS; this
 * file trusts the addresses it is given.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

typedef struct napi_env__ *napi_env;
typedef struct napi_value__ *napi_value;
typedef struct napi_callback_info__ *napi_callback_info;
typedef int napi_status; /* napi_ok == 0 */
typedef napi_value (*napi_callback)(napi_env env, napi_callback_info info);
typedef int napi_typedarray_type;

extern napi_status napi_get_cb_info(napi_env env, napi_callback_info cbinfo, size_t *argc, napi_value *argv,
                                    napi_value *this_arg, void **data);
extern napi_status napi_create_function(napi_env env, const char *utf8name, size_t length, napi_callback cb,
                                        void *data, napi_value *result);
extern napi_status napi_set_named_property(napi_env env, napi_value object, const char *utf8name, napi_value value);
extern napi_status napi_create_int32(napi_env env, int32_t value, napi_value *result);
extern napi_status napi_get_value_int32(napi_env env, napi_value value, int32_t *result);
extern napi_status napi_create_bigint_uint64(napi_env env, uint64_t value, napi_value *result);
extern napi_status napi_get_value_bigint_uint64(napi_env env, napi_value value, uint64_t *result, bool *lossless);
extern napi_status napi_get_typedarray_info(napi_env env, napi_value typedarray, napi_typedarray_type *type,
                                            size_t *length, void **data, napi_value *arraybuffer,
                                            size_t *byte_offset);
extern napi_status napi_throw_type_error(napi_env env, const char *code, const char *msg);

#define NAPI_UINT8_ARRAY 1

static napi_value int_result(napi_env env, int32_t v) {
  napi_value out = NULL;
  napi_create_int32(env, v, &out);
  return out;
}

static napi_value bad_args(napi_env env, const char *what) {
  napi_throw_type_error(env, NULL, what);
  return NULL;
}

static bool get_bytes(napi_env env, napi_value v, uint8_t **data, size_t *len) {
  napi_typedarray_type type = -1;
  void *p = NULL;
  if (napi_get_typedarray_info(env, v, &type, len, &p, NULL, NULL) != 0 || type != NAPI_UINT8_ARRAY) return false;
  *data = p;
  return true;
}

static bool get_addr(napi_env env, napi_value v, uint64_t *addr) {
  bool lossless = false;
  return napi_get_value_bigint_uint64(env, v, addr, &lossless) == 0 && lossless;
}

/* bpf(cmd: number, attr: Uint8Array): fd or 0, or -errno. The kernel reads and
 * writes back (log_true_size, ...) the caller's bytes in place. */
static napi_value js_bpf(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  int32_t cmd = 0;
  uint8_t *attr = NULL;
  size_t size = 0;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != 0 || argc != 2 ||
      napi_get_value_int32(env, argv[0], &cmd) != 0 || !get_bytes(env, argv[1], &attr, &size))
    return bad_args(env, "bpf(cmd: number, attr: Uint8Array)");
  if (size > UINT32_MAX) return int_result(env, -E2BIG);
  long r = syscall(SYS_bpf, cmd, size == 0 ? NULL : attr, (unsigned int)size);
  return int_result(env, r < 0 ? -errno : (int32_t)r);
}

static napi_value js_close(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  int32_t fd = -1;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != 0 || argc != 1 ||
      napi_get_value_int32(env, argv[0], &fd) != 0)
    return bad_args(env, "close(fd: number)");
  return int_result(env, close(fd) < 0 ? -errno : 0);
}

/* alloc(size: number): bigint address of zeroed memory, 0n when out of memory. */
static napi_value js_alloc(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  int32_t size = 0;
  napi_value out = NULL;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != 0 || argc != 1 ||
      napi_get_value_int32(env, argv[0], &size) != 0 || size < 0)
    return bad_args(env, "alloc(size: number)");
  void *p = calloc(1, size == 0 ? 1 : (size_t)size);
  napi_create_bigint_uint64(env, (uint64_t)(uintptr_t)p, &out);
  return out;
}

static napi_value js_free(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  uint64_t addr = 0;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != 0 || argc != 1 || !get_addr(env, argv[0], &addr))
    return bad_args(env, "free(addr: bigint)");
  free((void *)(uintptr_t)addr);
  return int_result(env, 0);
}

/* copy(addr: bigint, bytes: Uint8Array, toUser: number): toUser 1 writes bytes
 * at addr, 0 reads from addr into bytes. */
static napi_value js_copy(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  uint64_t addr = 0;
  uint8_t *bytes = NULL;
  size_t len = 0;
  int32_t to_user = 0;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != 0 || argc != 3 || !get_addr(env, argv[0], &addr) ||
      !get_bytes(env, argv[1], &bytes, &len) || napi_get_value_int32(env, argv[2], &to_user) != 0)
    return bad_args(env, "copy(addr: bigint, bytes: Uint8Array, toUser: number)");
  if (len == 0) return int_result(env, 0);
  if (to_user)
    memcpy((void *)(uintptr_t)addr, bytes, len);
  else
    memcpy(bytes, (const void *)(uintptr_t)addr, len);
  return int_result(env, 0);
}

/* mmap(fd, length, prot, flags, offset, out: Uint8Array(8)): 0 with the address
 * in out, or -errno. Only shared or private file mappings of an fd; the kernel
 * picks the address. */
static napi_value js_mmap(napi_env env, napi_callback_info info) {
  size_t argc = 6;
  napi_value argv[6];
  int32_t fd = -1, length = 0, prot = 0, flags = 0, offset = 0;
  uint8_t *out = NULL;
  size_t out_len = 0;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != 0 || argc != 6 ||
      napi_get_value_int32(env, argv[0], &fd) != 0 || napi_get_value_int32(env, argv[1], &length) != 0 ||
      napi_get_value_int32(env, argv[2], &prot) != 0 || napi_get_value_int32(env, argv[3], &flags) != 0 ||
      napi_get_value_int32(env, argv[4], &offset) != 0 || !get_bytes(env, argv[5], &out, &out_len) || out_len != 8 ||
      length < 0 || offset < 0)
    return bad_args(env, "mmap(fd, length, prot, flags, offset: number, out: Uint8Array(8))");
  /* Never let a caller place a mapping (MAP_FIXED) over Node's own memory. */
  void *p = mmap(NULL, (size_t)length, prot, flags & ~(MAP_FIXED | MAP_FIXED_NOREPLACE), fd, (off_t)offset);
  if (p == MAP_FAILED) return int_result(env, -errno);
  uint64_t addr = (uint64_t)(uintptr_t)p;
  memcpy(out, &addr, 8);
  return int_result(env, 0);
}

/* munmap(addr: bigint, length: number): 0 or -errno. */
static napi_value js_munmap(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  uint64_t addr = 0;
  int32_t length = 0;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != 0 || argc != 2 || !get_addr(env, argv[0], &addr) ||
      napi_get_value_int32(env, argv[1], &length) != 0 || length < 0)
    return bad_args(env, "munmap(addr: bigint, length: number)");
  return int_result(env, munmap((void *)(uintptr_t)addr, (size_t)length) < 0 ? -errno : 0);
}

static void export_fn(napi_env env, napi_value exports, const char *name, napi_callback cb) {
  napi_value fn = NULL;
  if (napi_create_function(env, name, (size_t)-1, cb, NULL, &fn) == 0) napi_set_named_property(env, exports, name, fn);
}

/* The entry point Node looks up in a Node-API module (what NAPI_MODULE_INIT expands to). */
__attribute__((visibility("default"))) napi_value napi_register_module_v1(napi_env env, napi_value exports) {
  export_fn(env, exports, "bpf", js_bpf);
  export_fn(env, exports, "close", js_close);
  export_fn(env, exports, "alloc", js_alloc);
  export_fn(env, exports, "free", js_free);
  export_fn(env, exports, "copy", js_copy);
  export_fn(env, exports, "mmap", js_mmap);
  export_fn(env, exports, "munmap", js_munmap);
  return exports;
}

/* Node-API version this module was written against (8: bigint and typed arrays are enough). */
__attribute__((visibility("default"))) int32_t node_api_module_get_api_version_v1(void) { return 8; }

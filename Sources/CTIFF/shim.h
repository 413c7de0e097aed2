#ifndef STEMTRACK_CTIFF_SHIM_H
#define STEMTRACK_CTIFF_SHIM_H
#include <stdint.h>
#include <stdarg.h>
#include <stdio.h>
#include <tiffio.h>

/* libtiff's TIFFGetField/TIFFSetField are variadic and cannot be called from Swift.
   These typed wrappers cover the tags stemtrack reads and writes. */

static inline int st_get_u16(TIFF *t, uint32_t tag, uint16_t *v) { return TIFFGetField(t, tag, v); }
static inline int st_get_u32(TIFF *t, uint32_t tag, uint32_t *v) { return TIFFGetField(t, tag, v); }
static inline int st_get_float(TIFF *t, uint32_t tag, float *v) { return TIFFGetField(t, tag, v); }
static inline int st_get_string(TIFF *t, uint32_t tag, const char **v) { return TIFFGetField(t, tag, v); }
static inline int st_get_double(TIFF *t, uint32_t tag, double *v) { return TIFFGetField(t, tag, v); }
static inline int st_get_u16_defaulted(TIFF *t, uint32_t tag, uint16_t *v) { return TIFFGetFieldDefaulted(t, tag, v); }

static inline int st_set_u16(TIFF *t, uint32_t tag, uint16_t v) { return TIFFSetField(t, tag, (int)v); }
static inline int st_set_u32(TIFF *t, uint32_t tag, uint32_t v) { return TIFFSetField(t, tag, v); }
static inline int st_set_float(TIFF *t, uint32_t tag, float v) { return TIFFSetField(t, tag, (double)v); }
static inline int st_set_double(TIFF *t, uint32_t tag, double v) { return TIFFSetField(t, tag, v); }
static inline int st_set_string(TIFF *t, uint32_t tag, const char *v) { return TIFFSetField(t, tag, v); }

/* Silence libtiff's default stderr handlers; errors are reported by stemtrack itself.
   The last message is kept per thread so it can go into the typed error. */
static inline char *st_error_buffer(void) {
    static _Thread_local char buffer[512];
    return buffer;
}
static inline void st_error_handler(const char *module, const char *fmt, va_list ap) {
    (void)module;
    vsnprintf(st_error_buffer(), 512, fmt, ap);
}
static inline void st_warning_handler(const char *module, const char *fmt, va_list ap) { (void)module; (void)fmt; (void)ap; }
static inline void st_install_handlers(void) {
    TIFFSetErrorHandler(st_error_handler);
    TIFFSetWarningHandler(st_warning_handler);
}
static inline const char *st_last_error_message(void) { return st_error_buffer(); }
static inline void st_clear_error(void) { st_error_buffer()[0] = 0; }
#endif

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

/* A tag libtiff does not know (vendors' private tags): libtiff keeps it as an anonymous field with
   its count. These read the first value as a double, or the text. */
/* The values of an anonymous field: its type, count and data (0 when absent). */
static inline int st_get_anonymous(TIFF *t, uint32_t tag, TIFFDataType *type, uint32_t *count, void **data) {
    const TIFFField *f = TIFFFindField(t, tag, TIFF_ANY);
    if (f == NULL || !TIFFFieldPassCount(f)) return 0;
    if (TIFFFieldReadCount(f) == TIFF_VARIABLE2) {
        if (TIFFGetField(t, tag, count, data) != 1) return 0;
    } else {
        uint16_t c16 = 0;
        if (TIFFGetField(t, tag, &c16, data) != 1) return 0;
        *count = c16;
    }
    *type = TIFFFieldDataType(f);
    return *data != NULL;
}
static inline int st_get_anonymous_double(TIFF *t, uint32_t tag, double *v) {
    TIFFDataType type;
    uint32_t count = 0;
    void *data = NULL;
    if (!st_get_anonymous(t, tag, &type, &count, &data) || count < 1) return 0;
    switch (type) {
    case TIFF_DOUBLE: *v = ((double *)data)[0]; return 1;
    case TIFF_FLOAT: *v = ((float *)data)[0]; return 1;
    default: return 0;
    }
}
static inline int st_get_anonymous_text(TIFF *t, uint32_t tag, char *out, size_t size) {
    TIFFDataType type;
    uint32_t count = 0;
    void *data = NULL;
    if (size == 0 || !st_get_anonymous(t, tag, &type, &count, &data)) return 0;
    if (type != TIFF_ASCII && type != TIFF_BYTE && type != TIFF_UNDEFINED) return 0;
    size_t n = count < size - 1 ? count : size - 1;
    for (size_t i = 0; i < n; i++) out[i] = ((const char *)data)[i];
    out[n] = 0;
    return 1;
}

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

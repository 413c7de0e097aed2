#ifndef STEMTRACK_CZLIB_SHIM_H
#define STEMTRACK_CZLIB_SHIM_H
/* zlib (zlib1g-dev): deflate for the PNG frames the live page and the report show. */
#include <zlib.h>
#endif

#ifndef STEMTRACK_CINOTIFYTOOLS_SHIM_H
#define STEMTRACK_CINOTIFYTOOLS_SHIM_H
#include <sys/inotify.h>
#include <inotifytools/inotifytools.h>
#include <sys/vfs.h>

/* The file-system magic number (statfs f_type) of the file system holding `path`; 0 on error. */
static inline unsigned long st_filesystem_type(const char *path) {
    struct statfs s;
    if (statfs(path, &s) != 0) return 0;
    return (unsigned long)s.f_type;
}
#endif

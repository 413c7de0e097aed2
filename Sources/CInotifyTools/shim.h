#ifndef STEMTRACK_CINOTIFYTOOLS_SHIM_H
#define STEMTRACK_CINOTIFYTOOLS_SHIM_H
#include <sys/inotify.h>
#include <inotifytools/inotifytools.h>
#endif

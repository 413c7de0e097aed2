#ifndef STEMTRACK_CHDF5_SHIM_H
#define STEMTRACK_CHDF5_SHIM_H
// libhdf5 (Debian libhdf5-dev, the serial build) for reading Velox EMD files. HDF5's type and
// property-list identifiers are macros over global variables, which Swift cannot import: they are
// wrapped as functions here.
#include <hdf5/serial/hdf5.h>
#include <stdint.h>
#include <string.h>

static inline hid_t st_h5_default(void) { return H5P_DEFAULT; }
static inline unsigned st_h5f_acc_rdonly(void) { return H5F_ACC_RDONLY; }
static inline hid_t st_h5t_native_double(void) { return H5T_NATIVE_DOUBLE; }
static inline hid_t st_h5t_native_uint8(void) { return H5T_NATIVE_UCHAR; }
static inline hid_t st_h5s_all(void) { return H5S_ALL; }
static inline hid_t st_h5p_file_access(void) { return H5P_FILE_ACCESS; }
static inline hid_t st_h5t_native_float(void) { return H5T_NATIVE_FLOAT; }
static inline unsigned st_h5f_acc_trunc(void) { return H5F_ACC_TRUNC; }

/// Silences HDF5's automatic error stack printing (errors are reported by stemtrack itself).
static inline void st_h5_quiet(void) { H5Eset_auto2(H5E_DEFAULT, NULL, NULL); }

/// A file-access property list that does not take or require a file lock (Velox may hold the
/// file open on another machine; reading never writes).
static inline hid_t st_h5_fapl_nolock(void) {
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
#if H5_VERSION_GE(1, 10, 7)
    H5Pset_file_locking(fapl, 0, 1);
#endif
    return fapl;
}

/// Names of the links of a group, one call per name (index order by name).
static inline ssize_t st_h5_link_name(hid_t group, hsize_t index, char *name, size_t size) {
    return H5Lget_name_by_idx(group, ".", H5_INDEX_NAME, H5_ITER_INC, index, name, size, H5P_DEFAULT);
}

static inline herr_t st_h5_group_count(hid_t group, hsize_t *count) {
    H5G_info_t info;
    herr_t r = H5Gget_info(group, &info);
    if (r >= 0) *count = info.nlinks;
    return r;
}

/// The object type at a path relative to `loc`: 0 group, 1 dataset, -1 other or missing.
static inline int st_h5_object_kind(hid_t loc, const char *path) {
    if (H5Lexists(loc, path, H5P_DEFAULT) <= 0) return -1;
    H5O_info_t info;
    if (H5Oget_info_by_name(loc, path, &info, H5P_DEFAULT) < 0) return -1;
    return info.type == H5O_TYPE_GROUP ? 0 : info.type == H5O_TYPE_DATASET ? 1 : -1;
}

/// Reads a dataset holding one variable-length string into `out` (NUL-terminated, cut to
/// `size`); returns the string's full length, or -1 when the dataset is not such a string.
static inline long st_h5_read_string(hid_t ds, char *out, size_t size) {
    long n = -1;
    hid_t ft = H5Dget_type(ds);
    if (ft < 0) return -1;
    if (H5Tget_class(ft) == H5T_STRING && H5Tis_variable_str(ft) > 0) {
        hid_t mt = H5Tcopy(H5T_C_S1);
        H5Tset_size(mt, H5T_VARIABLE);
        hid_t sp = H5Dget_space(ds);
        if (H5Sget_simple_extent_npoints(sp) == 1) {
            char *s = NULL;
            if (H5Dread(ds, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, &s) >= 0 && s != NULL) {
                size_t length = strlen(s);
                n = (long)length;
                if (size > 0) {
                    size_t c = length < size - 1 ? length : size - 1;
                    memcpy(out, s, c);
                    out[c] = 0;
                }
                H5Dvlen_reclaim(mt, sp, H5P_DEFAULT, &s);
            }
        }
        H5Sclose(sp);
        H5Tclose(mt);
    }
    H5Tclose(ft);
    return n;
}

#endif

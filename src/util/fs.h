/* SPDX-License-Identifier: Apache-2.0 */
/* File system helpers shared by the walks (the site, asset directories) and temporary files. */
#ifndef AL_UTIL_FS_H
#define AL_UTIL_FS_H

#include <limits.h>

#include "util/str.h"

/**
 * Appends the names in directory dir (without "." and ".."), sorted in byte
 * order so that walks are deterministic, to names (owned by the caller).
 * @return 0 or -1 (AL_ERR_IO naming dir)
 */
int al_dir_list(const char *dir, struct al_strv *names);

/**
 * al_dir_list for a directory already open as fd (borrowed, left open; its
 * offset is not used), so that the caller can stat the entries with fstatat
 * instead of resolving each full path again. dir names it in errors.
 * @return 0 or -1 (AL_ERR_IO naming dir)
 */
int al_dir_list_fd(int fd, const char *dir, struct al_strv *names);

/**
 * Where temporary files go: $TMPDIR when set, else /tmp (the image ships an
 * empty /tmp for this). Borrowed from the environment or static.
 */
const char *al_temp_dir(void);

/**
 * Creates an empty file <al_temp_dir()>/airlock-<what>-XXXXXX (mode 0600)
 * and writes its name into path; the caller unlinks it.
 * @return an open descriptor, or -1 (AL_ERR_IO naming the folder)
 */
int al_temp_file(const char *what, char path[PATH_MAX]);

#endif

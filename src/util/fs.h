/* SPDX-License-Identifier: Apache-2.0 */
/* File system helpers shared by the walks (the site, asset directories). */
#ifndef AL_UTIL_FS_H
#define AL_UTIL_FS_H

#include "util/str.h"

/**
 * Appends the names in directory dir (without "." and ".."), sorted in byte
 * order so that walks are deterministic, to names (owned by the caller).
 * @return 0 or -1 (AL_ERR_IO naming dir)
 */
int al_dir_list(const char *dir, struct al_strv *names);

#endif

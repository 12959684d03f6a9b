/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Deterministic zip of an asset directory, as cdk-assets packages `zip` file
 * assets: every regular file under the directory (dotfiles included, no
 * directory entries, so empty directories vanish), entries sorted by their
 * '/'-separated path in byte order, every entry dated 1980-01-01 00:00:00,
 * the Unix file mode kept in the external attributes, deflated with zlib's
 * default level. The same tree gives the same bytes whatever the files'
 * times, owners or location. Symlinks are followed only when they resolve
 * inside the directory; anything else is refused (AL_ERR_USAGE, exit 2).
 */
#ifndef AL_DEPLOY_ASSET_ZIP_H
#define AL_DEPLOY_ASSET_ZIP_H

#include <stdint.h>

/* Without zip64 a zip holds at most 65,535 entries and 4 GiB; stay below. */
#define AL_ZIP_MAX_FILES 65535u
#define AL_ZIP_MAX_INPUT_BYTES (2ull * 1024u * 1024u * 1024u)
#define AL_ZIP_MAX_DEPTH 64
/* Directories visited, symlinked ones included (a symlink DAG can repeat them). */
#define AL_ZIP_MAX_DIRS 100000u

/* MS-DOS date of 1980-01-01 in the high half, 00:00:00 in the low half. */
#define AL_ZIP_DOS_EPOCH 0x00210000u

/**
 * Zips every file under dir into a new archive at out_path (created or
 * truncated). On failure out_path is removed.
 * @param dir the directory (borrowed)
 * @param out_path where to write (borrowed); must not be inside dir
 * @param n_files receives the number of entries (may be NULL)
 * @return 0, or -1 (AL_ERR_USAGE for a symlink leading out of dir, a special
 *         file, a name that is not UTF-8 or a cap; AL_ERR_IO for I/O)
 */
int al_zip_dir(const char *dir, const char *out_path, uint64_t *n_files);

#endif

/*
 * oc_tree: the files and directories a carousel will carry, in memory.
 *
 * A tree is filled either from a folder on disk (oc_tree_load) or file by
 * file (oc_tree_add_file, used by tests and by later subcommands such as
 * `update`).  Paths are relative and '/'-separated ("menus/root.json");
 * the root directory is the carousel's ServiceGateway.
 *
 * Names must fit a BIOP NameComponent (ISO/IEC 13818-6 11.3, TR 101 202
 * 4.7.3.3): id_length is 8 bits and includes the terminating NUL, so a
 * name is 1..254 bytes, holds no NUL or '/', and is not "." or "..".
 * Stricter content rules (cm_path_ok) are applied by oc_content.h.
 *
 * The tree owns copies of every name and every file's bytes.
 */
#ifndef OC_TREE_H
#define OC_TREE_H

#include <stddef.h>
#include <stdint.h>

#include "carousel/oc_err.h"

#define OC_NAME_MAX 254u

typedef struct oc_tree oc_tree;
typedef struct oc_node oc_node;

/* An empty tree (the root directory only). */
oc_err oc_tree_create(oc_tree **out);
void oc_tree_destroy(oc_tree *t);                  /* NULL is a no-op */

/* Add a directory, creating missing parents.  Adding an existing
 * directory is not an error. */
oc_err oc_tree_add_dir(oc_tree *t, const char *path);

/* Add a file (bytes copied), creating missing parents.  OC_EEXIST if the
 * path is already a file or a directory; OC_ENAME if a part of the path
 * is not a carriable name. */
oc_err oc_tree_add_file(oc_tree *t, const char *path,
                        const uint8_t *data, size_t len);

/* Called for each problem met while loading: path relative to the folder
 * (or the folder itself), and what is wrong.  Borrowed strings. */
typedef void (*oc_tree_report_fn)(void *ud, const char *path,
                                  const char *what);

/* Read every file and directory under dir (symbolic links are followed;
 * other special files are refused).  max_file_bytes caps a single file
 * (0: 256 MiB) so that a mistaken folder cannot exhaust memory.  Every
 * problem is reported; the first error code is returned. */
oc_err oc_tree_load(oc_tree *t, const char *dir, size_t max_file_bytes,
                    oc_tree_report_fn report, void *ud);

/* Look up a file: 0 and borrowed bytes (valid until the tree changes),
 * or -1 when the path is not a file. */
int oc_tree_lookup(const oc_tree *t, const char *path,
                   const uint8_t **data, size_t *len);

/* Walking, for the builder.  Children are kept in bytewise name order. */
const oc_node *oc_tree_root(const oc_tree *t);
int oc_node_is_dir(const oc_node *n);
const char *oc_node_name(const oc_node *n);          /* "" for the root */
size_t oc_node_child_count(const oc_node *n);
const oc_node *oc_node_child(const oc_node *n, size_t i);
const uint8_t *oc_node_data(const oc_node *n, size_t *len);

/* Visit every node below the root, parents first, with its full path. */
typedef int (*oc_tree_visit_fn)(void *ud, const char *path,
                                const oc_node *n);
int oc_tree_walk(const oc_tree *t, oc_tree_visit_fn fn, void *ud);

/* Is name a single carriable BIOP name (see above)? */
int oc_name_ok(const char *name, size_t len);

#endif

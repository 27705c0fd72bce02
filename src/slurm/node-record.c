/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>

#include "json-util.h"
#include "node-record.h"

#define RECORD_MAX (64U * 1024U)

bool node_record_name_valid(const char *name) {
        size_t n = strlen(name);

        return n > 0 && n <= 253 && name[0] != '.' && name[0] != '-' &&
               name[strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")] == '\0';
}

static char *record_path(const char *dir, const char *node) {
        char *p;

        if (!node_record_name_valid(node))
                return NULL;
        if (asprintf(&p, "%s/%s.json", dir, node) < 0)
                return NULL;
        return p;
}

int node_record_load(const char *dir, const char *node, json_object **ret) {
        _cleanup_free_ char *path = record_path(dir, node), *text = NULL;
        _cleanup_(json_object_putp) json_object *o = NULL;
        _cleanup_fclose_ FILE *f = NULL;
        size_t n;

        if (!path)
                return node_record_name_valid(node) ? -ENOMEM : -EINVAL;
        f = fopen(path, "re");
        if (!f) {
                if (errno != ENOENT)
                        return negative_errno();
                o = json_object_new_object();
                if (!o || json_add(o, "node", json_object_new_string(node)) < 0)
                        return -ENOMEM;
                *ret = TAKE_PTR(o);
                return 0;
        }
        text = malloc(RECORD_MAX + 1);
        if (!text)
                return -ENOMEM;
        n = fread(text, 1, RECORD_MAX + 1, f);
        if (ferror(f))
                return -EIO;
        if (n > RECORD_MAX)
                return -EBADMSG;
        text[n] = '\0';
        o = json_tokener_parse(text);
        if (!o || !json_object_is_type(o, json_type_object))
                return -EBADMSG;
        *ret = TAKE_PTR(o);
        return 0;
}

static int write_atomically(const char *path, const char *text) {
        _cleanup_free_ char *tmp = NULL;
        _cleanup_close_ int fd = -1;
        size_t len = strlen(text);
        int r;

        if (asprintf(&tmp, "%s.XXXXXX", path) < 0)
                return -ENOMEM;
        fd = mkostemp(tmp, O_CLOEXEC);
        if (fd < 0)
                return negative_errno();
        if (fchmod(fd, 0644) < 0 || write(fd, text, len) != (ssize_t) len || write(fd, "\n", 1) != 1 ||
            fsync(fd) < 0 || rename(tmp, path) < 0) {
                r = errno > 0 ? -errno : -EIO;
                (void) unlink(tmp);
                return r;
        }
        return 0;
}

int node_record_update(const char *dir, const char *node, const char *section, json_object *value) {
        _cleanup_(json_object_putp) json_object *v = value, *record = NULL;
        _cleanup_free_ char *path = record_path(dir, node);
        int r;

        if (!path)
                return node_record_name_valid(node) ? -ENOMEM : -EINVAL;
        r = node_record_load(dir, node, &record);
        if (r == -EBADMSG) {
                /* a damaged record is replaced, not kept forever */
                record = json_object_new_object();
                if (!record || json_add(record, "node", json_object_new_string(node)) < 0)
                        return -ENOMEM;
        } else if (r < 0)
                return r;
        if (json_add(record, section, TAKE_PTR(v)) < 0)
                return -ENOMEM;
        return write_atomically(path, json_object_to_json_string_ext(record, JSON_C_TO_STRING_PRETTY |
                                                                              JSON_C_TO_STRING_NOSLASHESCAPE));
}

const char *node_record_hint(int error) {
        return IN_SET(-error, ENOENT, EACCES, EPERM, EROFS)
                ? " (the directory must exist and be SlurmUser's: see tmpfiles-hostpm-slurm.conf in hostpm-slurm(8))"
                : "";
}

const char *node_record_get_string(json_object *record, const char *section, const char *key) {
        json_object *s, *v;

        if (!json_object_object_get_ex(record, section, &s) || !json_object_object_get_ex(s, key, &v) ||
            !json_object_is_type(v, json_type_string))
                return NULL;
        return json_object_get_string(v);
}

uint64_t node_record_get_u64(json_object *record, const char *section, const char *key) {
        json_object *s, *v;

        if (!json_object_object_get_ex(record, section, &s) || !json_object_object_get_ex(s, key, &v))
                return 0;
        return json_object_get_uint64(v);
}

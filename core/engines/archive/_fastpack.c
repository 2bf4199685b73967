/* The archive engine's per-file work in C, with the GIL released: the walk's listing of a folder
 * (folder(), further down), and the writer's loop: open, read, SHA-256 and frame as ustar
 * entries a run of small regular files and folders, and write their manifest entries (pack()).
 *
 * pack(items, start, out, small, in_json, users, groups[, listing])
 *     -> (used, entries, problems, files, nbytes)
 *
 *   items    the scan's list of Item (path, abspath, type, mode, uid, gid, size, mtime_ns,
 *            ctime_ns, ino, dev, nlink, blocks)
 *   start    first index to take
 *   out      a writable buffer (bytearray) the tar bytes are written to, from offset 0
 *   small    the largest st_size taken (bigger files are left to Python)
 *   in_json  the backup's name as JSON (the manifest entries' "in")
 *   users    dict uid -> user name (Python fills it; an id not in it is left to Python)
 *   groups   dict gid -> group name
 *
 * Items are taken from `start` on while each is a folder or a regular file of at most `small`
 * bytes that plain ustar can hold (ASCII name of at most 100 bytes, folder names with their '/',
 * ids, owner names and mtime in range), not a hard link, and the worst case of its entry still
 * fits in `out`. The first item that is not taken ends the batch; the caller writes that one
 * itself (or flushes and calls again). So does an item found to have extended attributes or
 * holes once opened: those need pax records, which only Python writes.
 *
 * entries has one value per item taken: its manifest entry as JSON bytes, exactly what
 * json.dumps(entry, separators=(",", ":")) gives for the dict manifest.entry_for and create.py
 * build, or None for a file that could not be read (nothing was written for it). problems lists
 * (index in the batch, err) for each file read with trouble: err an errno (open or read failed,
 * skipped) or -1 (its size changed while read; stored as read). files and nbytes count the files
 * stored and the bytes read. `listing`, a list, gets (path bytes, size, mtime_ns, first 48 bits of
 * the SHA-256) of each file stored, as the file index takes them.
 *
 * The tar bytes are exactly those of tarstream.file_header/header and TarWriter: a 512-byte ustar
 * header, the content, zeros up to the next 512-byte boundary. Reading follows create.py's
 * add_small: one read of size + 1 bytes, then reads of the rest while short of `size`.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <openssl/evp.h>

#define BLOCK 512
#define MAX_OCTAL 077777777777LL /* 8**11 - 1: eleven octal digits */
#define MAX_ID 07777777LL        /* ids must be below this (seven digits) */
#define NAME_MAX_USTAR 100
#define FOR_PYTHON (-3)
/* A manifest entry's JSON without its "in": the name escaped (6 bytes a character at most),
 * four integers, a SHA-256 and the keys. */
#define JSON_MAX (6 * NAME_MAX_USTAR + 8 * 21 + 64 + 256)

#ifndef Py_T_OBJECT_EX
#include <structmember.h>
#define Py_T_OBJECT_EX T_OBJECT_EX
#define Py_READONLY READONLY
#endif

#ifndef O_NOFOLLOW
#define O_NOFOLLOW 0
#endif
#ifndef O_NOATIME
#define O_NOATIME 0
#endif
#ifndef O_CLOEXEC
#define O_CLOEXEC 0
#endif
#ifdef O_PATH
#define O_PATH_OR_DIR O_PATH
#else
#define O_PATH_OR_DIR O_RDONLY
#endif

typedef struct {
    EVP_MD *sha256;
    PyObject *s_path, *s_abspath, *s_type, *s_mode, *s_uid, *s_gid, *s_size, *s_mtime_ns;
    PyObject *s_ctime_ns, *s_ino, *s_nlink, *s_blocks;
} state_t;

typedef struct {
    PyObject *fsname;   /* owned: the absolute path, file system encoded (files only) */
    PyObject *name;     /* owned: the archive path (an ASCII str) */
    const char *nameptr;
    Py_ssize_t namelen;
    long long mode, uid, gid, size, mtime, mtime_ns, ctime_ns, ino, blocks;
    const char *uname, *gname;  /* ASCII, at most 32 bytes (borrowed from the names dicts) */
    Py_ssize_t unamelen, gnamelen;
    int is_dir;
    /* results */
    long long n;
    int err;
    unsigned char md[32];
    char *json;
    Py_ssize_t jsonlen;
} job_t;

static state_t *get_state(PyObject *mod) { return (state_t *)PyModule_GetState(mod); }

static Py_ssize_t round_up(long long n) { return (Py_ssize_t)((n + BLOCK - 1) / BLOCK * BLOCK); }

static void octal(char *dst, int digits, unsigned long long v)
{
    for (int i = digits - 1; i >= 0; i--) {
        dst[i] = (char)('0' + (v & 7));
        v >>= 3;
    }
    dst[digits] = '\0';
}

/* One ustar header, as tarstream._ustar/file_header build it. */
static void ustar(unsigned char *h, const job_t *j, long long size)
{
    memset(h, 0, BLOCK);
    memcpy(h, j->nameptr, (size_t)j->namelen);
    if (j->is_dir)
        h[j->namelen] = '/';
    octal((char *)h + 100, 7, (unsigned long long)j->mode);
    octal((char *)h + 108, 7, (unsigned long long)j->uid);
    octal((char *)h + 116, 7, (unsigned long long)j->gid);
    octal((char *)h + 124, 11, (unsigned long long)size);
    octal((char *)h + 136, 11, (unsigned long long)j->mtime);
    h[156] = j->is_dir ? '5' : '0';
    memcpy(h + 257, "ustar\0" "00", 8);
    memcpy(h + 265, j->uname, (size_t)j->unamelen);
    memcpy(h + 297, j->gname, (size_t)j->gnamelen);
    memset(h + 148, ' ', 8);
    unsigned long sum = 0;
    for (int i = 0; i < BLOCK; i++)
        sum += h[i];
    octal((char *)h + 148, 6, sum);
    h[155] = ' ';
}

/* JSON, as json.dumps writes it (ensure_ascii, separators "," and ":"). */

static char *put(char *p, const char *s)
{
    size_t n = strlen(s);
    memcpy(p, s, n);
    return p + n;
}

static char *put_int(char *p, long long v)
{
    char tmp[24];
    int n = 0;
    unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
    do {
        tmp[n++] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0)
        *p++ = '-';
    while (n)
        *p++ = tmp[--n];
    return p;
}

static char *put_ascii_string(char *p, const char *s, Py_ssize_t n)
{
    static const char hex[] = "0123456789abcdef";
    *p++ = '"';
    for (Py_ssize_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        switch (c) {
        case '"': p = put(p, "\\\""); break;
        case '\\': p = put(p, "\\\\"); break;
        case '\b': p = put(p, "\\b"); break;
        case '\f': p = put(p, "\\f"); break;
        case '\n': p = put(p, "\\n"); break;
        case '\r': p = put(p, "\\r"); break;
        case '\t': p = put(p, "\\t"); break;
        default:
            if (c < ' ' || c > '~') {
                p = put(p, "\\u00");
                *p++ = hex[c >> 4];
                *p++ = hex[c & 15];
            } else {
                *p++ = (char)c;
            }
        }
    }
    *p++ = '"';
    return p;
}

/* manifest.entry_for's keys, then create.py's size, sha256 and in for a file. */
static void entry_json(job_t *j, char *buf, const char *in_json, Py_ssize_t in_len)
{
    static const char hex[] = "0123456789abcdef";
    char *p = buf;
    p = put(p, "{\"path\":");
    p = put_ascii_string(p, j->nameptr, j->namelen);
    p = put(p, j->is_dir ? ",\"type\":\"dir\",\"mode\":" : ",\"type\":\"file\",\"mode\":");
    p = put_int(p, j->mode);
    p = put(p, ",\"mtime_ns\":");
    p = put_int(p, j->mtime_ns);
    p = put(p, ",\"ctime_ns\":");
    p = put_int(p, j->ctime_ns);
    p = put(p, ",\"ino\":");
    p = put_int(p, j->ino);
    p = put(p, ",\"uid\":");
    p = put_int(p, j->uid);
    p = put(p, ",\"gid\":");
    p = put_int(p, j->gid);
    if (!j->is_dir) {
        p = put(p, ",\"size\":");
        p = put_int(p, j->n);
        p = put(p, ",\"sha256\":\"");
        for (int i = 0; i < 32; i++) {
            *p++ = hex[j->md[i] >> 4];
            *p++ = hex[j->md[i] & 15];
        }
        p = put(p, "\",\"in\":");
        memcpy(p, in_json, (size_t)in_len);
        p += in_len;
    }
    *p++ = '}';
    j->json = buf;
    j->jsonlen = p - buf;
}

static ssize_t read_some(int fd, unsigned char *dst, size_t want)
{
    ssize_t r;
    do {
        r = read(fd, dst, want);
    } while (r < 0 && errno == EINTR);
    return r;
}

static int open_at(int dfd, const char *path)
{
    int flags = O_RDONLY | O_NOFOLLOW | O_CLOEXEC;
    int fd;
    do {
        fd = openat(dfd, path, flags | O_NOATIME);
    } while (fd < 0 && errno == EINTR);
    if (fd < 0 && O_NOATIME && (errno == EPERM || errno == EACCES)) {
        /* O_NOATIME is refused on files we do not own. */
        do {
            fd = openat(dfd, path, flags);
        } while (fd < 0 && errno == EINTR);
    }
    return fd;
}

/* The folder of the files being read, open once for all of them: each open then looks up one
 * name instead of the whole path. */
typedef struct {
    int fd;
    const char *path;  /* the folder's path as in the last file's (not owned) */
    size_t len;
} folder_t;

static int open_file(folder_t *f, const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash || slash == path)
        return open_at(AT_FDCWD, path);
    size_t len = (size_t)(slash - path);
    if (!f->path || f->len != len || memcmp(f->path, path, len) != 0) {
        if (f->fd >= 0)
            close(f->fd);
        char dir[4096];
        f->fd = -1;
        if (len < sizeof(dir)) {
            memcpy(dir, path, len);
            dir[len] = '\0';
            do {
                f->fd = open(dir, O_PATH_OR_DIR | O_DIRECTORY | O_CLOEXEC);
            } while (f->fd < 0 && errno == EINTR);
        }
        f->path = path;
        f->len = len;
    }
    if (f->fd < 0)  /* the whole path then, for the error Python would see */
        return open_at(AT_FDCWD, path);
    return open_at(f->fd, slash + 1);
}

/* What only Python writes (pax records): extended attributes (POSIX ACLs among them), holes.
 * The same test as create.py's _Writer.extras. */
static int for_python(int fd, const job_t *j)
{
    if (flistxattr(fd, NULL, 0) > 0)
        return 1;
    if (j->blocks * 512 < j->size) {
        off_t hole = lseek(fd, 0, SEEK_HOLE);
        lseek(fd, 0, SEEK_SET);
        if (hole >= 0 && hole < j->size)
            return 1;
    }
    return 0;
}

/* Open, read, hash and frame one file at out[0:]; returns the bytes used (0 on error, or with
 * err FOR_PYTHON when the file is left to Python). */
static Py_ssize_t pack_file(job_t *j, unsigned char *out, folder_t *folder, EVP_MD_CTX *ctx,
                            const EVP_MD *md)
{
    int fd = open_file(folder, PyBytes_AS_STRING(j->fsname));
    if (fd < 0) {
        j->err = errno;
        return 0;
    }
    if (for_python(fd, j)) {
        j->err = FOR_PYTHON;
        close(fd);
        return 0;
    }
    unsigned char *data = out + BLOCK;
    long long size = j->size;
    ssize_t r = read_some(fd, data, (size_t)size + 1);
    long long n = r;
    while (r >= 0 && n < size) {
        r = read_some(fd, data + n, (size_t)(size - n));
        if (r > 0)
            n += r;
        else
            break;
    }
    if (r < 0) {
        j->err = errno;
        close(fd);
        return 0;
    }
    close(fd);
    j->n = n;
    j->err = n != size ? -1 : 0;
    ustar(out, j, n);
    Py_ssize_t padded = round_up(n);
    memset(data + n, 0, (size_t)(padded - n));
    unsigned int len = 0;
    if (!EVP_DigestInit_ex2(ctx, md, NULL) || !EVP_DigestUpdate(ctx, data, (size_t)n)
            || !EVP_DigestFinal_ex(ctx, j->md, &len))
        j->err = -2;
    return BLOCK + padded;
}

/* A plain ASCII str of at most `limit` characters: its characters, else NULL. */
static const char *ascii_name(PyObject *s, Py_ssize_t limit, Py_ssize_t *len)
{
    if (!PyUnicode_Check(s) || PyUnicode_READY(s) < 0 || !PyUnicode_IS_ASCII(s))
        return NULL;
    *len = PyUnicode_GET_LENGTH(s);
    if (*len == 0 || *len > limit)
        return NULL;
    return (const char *)PyUnicode_1BYTE_DATA(s);
}

static int as_ll(PyObject *v, long long *out)
{
    if (!v || !PyLong_Check(v))
        return 0;
    int overflow = 0;
    *out = PyLong_AsLongLongAndOverflow(v, &overflow);
    if (overflow || (*out == -1 && PyErr_Occurred())) {
        PyErr_Clear();
        return 0;
    }
    return 1;
}

/* An int attribute of an Item that fits a long long: 1, else 0 (not for C) or -1 (raised). */
static int int_attr(PyObject *item, PyObject *name, long long *out)
{
    PyObject *v = PyObject_GetAttr(item, name);
    if (!v)
        return -1;
    int ok = as_ll(v, out);
    Py_DECREF(v);
    return ok;
}

/* The owner's name from one of the dicts uid -> name Python fills (create.Owners): 1 with a
 * name ustar holds, 0 if none is known yet or it needs pax, -1 on error (raised). */
static int owner_name(PyObject *names, PyObject *item, PyObject *attr, const char **ptr,
                      Py_ssize_t *len)
{
    PyObject *id = PyObject_GetAttr(item, attr);
    if (!id)
        return -1;
    PyObject *name = PyDict_GetItemWithError(names, id);  /* borrowed; the dict keeps it */
    Py_DECREF(id);
    if (!name)
        return PyErr_Occurred() ? -1 : 0;
    if (!PyUnicode_Check(name) || PyUnicode_READY(name) < 0 || !PyUnicode_IS_ASCII(name))
        return 0;
    *len = PyUnicode_GET_LENGTH(name);
    *ptr = (const char *)PyUnicode_1BYTE_DATA(name);
    return *len <= 32;
}

/* Fills `j` from one Item if C can write it: 1 taken, 0 not for C, -1 error (raised). */
static int take(state_t *s, PyObject *item, long long small, PyObject *users, PyObject *groups,
                job_t *j)
{
    int ok = 0, r;
    PyObject *type = NULL, *path = NULL, *abspath = NULL;
    memset(j, 0, sizeof(*j));
    if (!(type = PyObject_GetAttr(item, s->s_type)))
        goto error;
    if (PyUnicode_Check(type) && PyUnicode_CompareWithASCIIString(type, "dir") == 0)
        j->is_dir = 1;
    else if (!(PyUnicode_Check(type) && PyUnicode_CompareWithASCIIString(type, "file") == 0))
        goto done;
    long long mode, nlink;
    if ((r = int_attr(item, s->s_mode, &mode)) <= 0
            || (r = int_attr(item, s->s_uid, &j->uid)) <= 0
            || (r = int_attr(item, s->s_gid, &j->gid)) <= 0
            || (r = int_attr(item, s->s_size, &j->size)) <= 0
            || (r = int_attr(item, s->s_mtime_ns, &j->mtime_ns)) <= 0
            || (r = int_attr(item, s->s_ctime_ns, &j->ctime_ns)) <= 0
            || (r = int_attr(item, s->s_ino, &j->ino)) <= 0
            || (r = int_attr(item, s->s_nlink, &nlink)) <= 0
            || (r = int_attr(item, s->s_blocks, &j->blocks)) <= 0
            || (r = owner_name(users, item, s->s_uid, &j->uname, &j->unamelen)) <= 0
            || (r = owner_name(groups, item, s->s_gid, &j->gname, &j->gnamelen)) <= 0) {
        if (r < 0)
            goto error;
        goto done;
    }
    j->mode = mode & 07777;
    j->mtime = j->mtime_ns / 1000000000LL;  /* whole seconds; negative ones are not taken */
    if (j->uid < 0 || j->uid >= MAX_ID || j->gid < 0 || j->gid >= MAX_ID || j->mtime_ns < 0
            || j->mtime > MAX_OCTAL || j->size < 0 || (!j->is_dir && j->size > small)
            || (!j->is_dir && nlink > 1))  /* hard links: Python's */
        goto done;
    if (!(path = PyObject_GetAttr(item, s->s_path)))
        goto error;
    j->nameptr = ascii_name(path, NAME_MAX_USTAR - j->is_dir, &j->namelen);
    if (!j->nameptr)
        goto done;
    if (!(abspath = PyObject_GetAttr(item, s->s_abspath)))
        goto error;
    if (!PyUnicode_Check(abspath))
        goto done;
    if (!(j->fsname = PyUnicode_EncodeFSDefault(abspath))) {
        PyErr_Clear();  /* not encodable: Python's own open reports it */
        goto done;
    }
    if ((Py_ssize_t)strlen(PyBytes_AS_STRING(j->fsname)) != PyBytes_GET_SIZE(j->fsname)) {
        Py_CLEAR(j->fsname);  /* an embedded NUL: likewise */
        goto done;
    }
    j->name = path;
    path = NULL;
    ok = 1;
    goto done;
error:
    ok = -1;
done:
    Py_XDECREF(type);
    Py_XDECREF(path);
    Py_XDECREF(abspath);
    return ok;
}

static Py_ssize_t worst_case(const job_t *j)
{
    return j->is_dir ? BLOCK : BLOCK + round_up(j->size + 1);
}

static void free_jobs(job_t *jobs, Py_ssize_t n)
{
    for (Py_ssize_t i = 0; i < n; i++) {
        Py_XDECREF(jobs[i].fsname);
        Py_XDECREF(jobs[i].name);
    }
    PyMem_Free(jobs);
}

/* A stored file as the file index takes it: (path bytes, size, mtime_ns, the first 48 bits of
 * its SHA-256). */
static int list_file(PyObject *listing, const job_t *j)
{
    unsigned long long h = 0;
    for (int i = 0; i < 6; i++)
        h = h << 8 | j->md[i];
    PyObject *row = Py_BuildValue("(y#LLK)", j->nameptr, j->namelen, j->n, j->mtime_ns, h);
    int r = row ? PyList_Append(listing, row) : -1;
    Py_XDECREF(row);
    return r;
}

/* The Python side of the results: (entries, problems); each stored file also goes into
 * `listing` when one is given. */
static PyObject *results(job_t *jobs, Py_ssize_t count, PyObject *listing)
{
    PyObject *entries = PyList_New(count), *problems = PyList_New(0);
    if (!entries || !problems)
        goto error;
    for (Py_ssize_t i = 0; i < count; i++) {
        job_t *j = &jobs[i];
        PyObject *e;
        if (j->err > 0) {
            e = Py_NewRef(Py_None);
        } else if (!(e = PyBytes_FromStringAndSize(j->json, j->jsonlen))) {
            goto error;
        }
        PyList_SET_ITEM(entries, i, e);
        if (listing && !j->is_dir && j->err <= 0 && list_file(listing, j) < 0)
            goto error;
        if (j->err) {
            PyObject *p = Py_BuildValue("(ni)", i, j->err);
            if (!p || PyList_Append(problems, p) < 0) {
                Py_XDECREF(p);
                goto error;
            }
            Py_DECREF(p);
        }
    }
    return Py_BuildValue("(NN)", entries, problems);
error:
    Py_XDECREF(entries);
    Py_XDECREF(problems);
    return NULL;
}

static PyObject *pack(PyObject *mod, PyObject *args)
{
    state_t *s = get_state(mod);
    PyObject *items, *users, *groups, *listing = Py_None;
    Py_ssize_t start;
    Py_buffer out, in;
    long long small;
    if (!PyArg_ParseTuple(args, "O!nw*Ly*O!O!|O:pack", &PyList_Type, &items, &start, &out,
                          &small, &in, &PyDict_Type, &users, &PyDict_Type, &groups, &listing))
        return NULL;
    if (listing != Py_None && !PyList_Check(listing)) {
        PyBuffer_Release(&out);
        PyBuffer_Release(&in);
        PyErr_SetString(PyExc_TypeError, "listing must be a list or None");
        return NULL;
    }
    PyObject *ret = NULL, *res = NULL;
    Py_ssize_t cap = 0, count = 0, need = 0;
    job_t *jobs = NULL;
    char *arena = NULL;
    if (start < 0) {
        PyErr_SetString(PyExc_ValueError, "start must not be negative");
        goto finally;
    }
    /* 1. With the GIL: what to take, from the items' attributes. */
    for (Py_ssize_t i = start; i < PyList_GET_SIZE(items); i++) {
        if (count == cap) {
            Py_ssize_t ncap = cap ? cap * 2 : 256;
            job_t *more = PyMem_Realloc(jobs, (size_t)ncap * sizeof(job_t));
            if (!more) {
                PyErr_NoMemory();
                goto finally;
            }
            jobs = more;
            cap = ncap;
        }
        PyObject *item = PyList_GET_ITEM(items, i);
        Py_INCREF(item);
        int took = take(s, item, small, users, groups, &jobs[count]);
        Py_DECREF(item);
        if (took < 0)
            goto finally;
        if (!took)
            break;
        if (need + worst_case(&jobs[count]) > out.len) {
            Py_XDECREF(jobs[count].fsname);
            Py_XDECREF(jobs[count].name);
            break;
        }
        need += worst_case(&jobs[count]);
        count++;
    }
    Py_ssize_t used = 0, per_json = JSON_MAX + in.len, taken = count;
    long long files = 0, nbytes = 0;
    int hash_failed = 0;
    if (count) {
        /* 2. Without it: the files themselves, and their manifest entries. */
        EVP_MD_CTX *ctx = EVP_MD_CTX_new();
        arena = PyMem_Malloc((size_t)(count * per_json));
        if (!ctx || !arena) {
            EVP_MD_CTX_free(ctx);
            PyErr_NoMemory();
            goto finally;
        }
        unsigned char *buf = out.buf;
        folder_t folder = {-1, NULL, 0};
        Py_BEGIN_ALLOW_THREADS
        for (Py_ssize_t i = 0; i < count; i++) {
            job_t *j = &jobs[i];
            if (j->is_dir) {
                if (llistxattr(PyBytes_AS_STRING(j->fsname), NULL, 0) > 0) {
                    taken = i;  /* its xattrs or default ACL: Python's, and the batch ends */
                    break;
                }
                ustar(buf + used, j, 0);
                used += BLOCK;
            } else {
                used += pack_file(j, buf + used, &folder, ctx, s->sha256);
                if (j->err == FOR_PYTHON) {
                    taken = i;
                    break;
                }
                if (j->err == -2)
                    hash_failed = 1;
                if (j->err > 0)
                    continue;
                files++;
                nbytes += j->n;
            }
            entry_json(j, arena + i * per_json, in.buf, in.len);
        }
        if (folder.fd >= 0)
            close(folder.fd);
        Py_END_ALLOW_THREADS
        EVP_MD_CTX_free(ctx);
    }
    if (hash_failed) {
        PyErr_SetString(PyExc_RuntimeError, "SHA-256 failed in libcrypto");
        goto finally;
    }
    /* 3. With the GIL again: the results. */
    if (!(res = results(jobs, taken, listing == Py_None ? NULL : listing)))
        goto finally;
    ret = Py_BuildValue("(nOOLL)", used, PyTuple_GET_ITEM(res, 0), PyTuple_GET_ITEM(res, 1),
                        files, nbytes);
finally:
    Py_XDECREF(res);
    if (jobs)
        free_jobs(jobs, count);
    PyMem_Free(arena);
    PyBuffer_Release(&out);
    PyBuffer_Release(&in);
    return ret;
}


/* folder(path, rel, Item) -> (items, problems) | None
 *
 * One folder of the walk (scan._walk): its entries listed and lstat'ed through the folder's
 * descriptor without the GIL, in the order of their names, as Item(rel + "/" + name,
 * path + "/" + name, type, mode, uid, gid, size, mtime_ns, ctime_ns, ino, dev, nlink, blocks)
 * for regular files, folders and symbolic links (times in ns as Python ints of any size).
 * problems lists (name, errno) for entries whose lstat failed and (name, 0) for other kinds
 * (fifos, sockets, devices), in the same order. None when a name is not UTF-8: then
 * Python's order (by code point of the decoded name) is not the bytes' order, and scan._walk
 * lists that folder itself. An unreadable folder raises OSError.
 */

typedef struct {
    size_t name;  /* offset in the names arena while listing */
    const char *ptr;  /* then the name itself */
    size_t len;
    int err;
    struct stat st;
} dent_t;

typedef struct {
    char *names;
    dent_t *ents;
} listing_t;

static int by_name(const void *a, const void *b)
{
    return strcmp(((const dent_t *)a)->ptr, ((const dent_t *)b)->ptr);
}

/* Lists and lstats `path` into `l`; returns the count, or -1 with errno set. */
static Py_ssize_t list_folder(const char *path, listing_t *l)
{
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    DIR *dir = fdopendir(fd);
    if (!dir) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    size_t ncap = 64, nlen = 0, acap = 4096, alen = 0;
    l->ents = malloc(ncap * sizeof(dent_t));
    l->names = malloc(acap);
    if (!l->ents || !l->names) {
        closedir(dir);
        errno = ENOMEM;
        return -1;
    }
    struct dirent *de;
    errno = 0;
    while ((de = readdir(dir)) != NULL) {
        const char *n = de->d_name;
        if (n[0] == '.' && (n[1] == '\0' || (n[1] == '.' && n[2] == '\0')))
            continue;
        size_t len = strlen(n);
        if (nlen == ncap) {
            dent_t *more = realloc(l->ents, (ncap *= 2) * sizeof(dent_t));
            if (!more)
                goto nomem;
            l->ents = more;
        }
        if (alen + len + 1 > acap) {
            while (alen + len + 1 > acap)
                acap *= 2;
            char *more = realloc(l->names, acap);
            if (!more)
                goto nomem;
            l->names = more;
        }
        memcpy(l->names + alen, n, len + 1);
        l->ents[nlen].name = alen;
        l->ents[nlen].len = len;
        alen += len + 1;
        nlen++;
        errno = 0;
    }
    if (errno) {
        int e = errno;
        closedir(dir);
        errno = e;
        return -1;
    }
    int dfd = dirfd(dir);
    for (size_t i = 0; i < nlen; i++) {
        dent_t *e = &l->ents[i];
        int r;
        do {
            r = fstatat(dfd, l->names + e->name, &e->st, AT_SYMLINK_NOFOLLOW);
        } while (r < 0 && errno == EINTR);
        e->err = r < 0 ? errno : 0;
        e->ptr = l->names + e->name;
    }
    closedir(dir);
    qsort(l->ents, nlen, sizeof(dent_t), by_name);
    return (Py_ssize_t)nlen;
nomem:
    closedir(dir);
    errno = ENOMEM;
    return -1;
}

/* Where Item keeps each field (its __slots__), so that Items are made without calling
 * __init__: the same as object.__new__ and object.__setattr__ of each field. */
#define ITEM_FIELDS 13
static const char *const item_fields[ITEM_FIELDS] = {
    "path", "abspath", "type", "mode", "uid", "gid", "size", "mtime_ns", "ctime_ns", "ino",
    "dev", "nlink", "blocks"};

static int item_offsets(PyObject *cls, Py_ssize_t *offsets)
{
    if (!PyType_Check(cls)) {
        PyErr_SetString(PyExc_TypeError, "Item must be a class");
        return -1;
    }
    for (int i = 0; i < ITEM_FIELDS; i++) {
        PyObject *d = PyObject_GetAttrString(cls, item_fields[i]);
        if (!d)
            return -1;
        int ok = Py_IS_TYPE(d, &PyMemberDescr_Type)
                 && ((PyMemberDescrObject *)d)->d_member->type == Py_T_OBJECT_EX
                 && !(((PyMemberDescrObject *)d)->d_member->flags & Py_READONLY);
        if (ok)
            offsets[i] = ((PyMemberDescrObject *)d)->d_member->offset;
        Py_DECREF(d);
        if (!ok) {
            PyErr_Format(PyExc_TypeError, "Item.%s is not a slot", item_fields[i]);
            return -1;
        }
    }
    return 0;
}

static PyObject *new_item(PyTypeObject *cls, const Py_ssize_t *offsets, PyObject **values)
{
    PyObject *obj = cls->tp_alloc(cls, 0);
    if (!obj) {
        for (int i = 0; i < ITEM_FIELDS; i++)
            Py_DECREF(values[i]);
        return NULL;
    }
    for (int i = 0; i < ITEM_FIELDS; i++)
        *(PyObject **)((char *)obj + offsets[i]) = values[i];  /* steals */
    return obj;
}

/* As os.stat gives ids: -1 for "none", else unsigned. */
static PyObject *id_long(unsigned long long id)
{
    if (id == (unsigned long long)(uid_t)-1)
        return PyLong_FromLong(-1);
    return PyLong_FromUnsignedLongLong(id);
}

/* A time in nanoseconds as os.stat gives it: a Python int, whatever its size (2400-01-01 is
 * past what a signed 64-bit count of nanoseconds holds). */
static PyObject *ns_long(struct timespec t)
{
    long long ns;
    if (!__builtin_mul_overflow((long long)t.tv_sec, 1000000000LL, &ns)
            && !__builtin_add_overflow(ns, (long long)t.tv_nsec, &ns))
        return PyLong_FromLongLong(ns);
    PyObject *sec = PyLong_FromLongLong((long long)t.tv_sec), *giga = NULL, *prod = NULL;
    PyObject *frac = NULL, *ret = NULL;
    if (sec && (giga = PyLong_FromLong(1000000000L)) && (prod = PyNumber_Multiply(sec, giga))
            && (frac = PyLong_FromLong((long)t.tv_nsec)))
        ret = PyNumber_Add(prod, frac);
    Py_XDECREF(sec);
    Py_XDECREF(giga);
    Py_XDECREF(prod);
    Py_XDECREF(frac);
    return ret;
}

static PyObject *folder(PyObject *mod, PyObject *args)
{
    (void)mod;
    PyObject *path, *rel, *cls;
    if (!PyArg_ParseTuple(args, "UUO:folder", &path, &rel, &cls))
        return NULL;
    Py_ssize_t offsets[ITEM_FIELDS];
    if (item_offsets(cls, offsets) < 0)
        return NULL;
    PyObject *fspath = PyUnicode_EncodeFSDefault(path);
    if (!fspath)
        return NULL;
    listing_t l = {NULL, NULL};
    Py_ssize_t n;
    int err = 0;
    Py_BEGIN_ALLOW_THREADS
    n = list_folder(PyBytes_AS_STRING(fspath), &l);
    err = errno;
    Py_END_ALLOW_THREADS
    PyObject *ret = NULL, *items = NULL, *problems = NULL, *abase = NULL, *rbase = NULL;
    if (n < 0) {
        errno = err;
        PyErr_SetFromErrnoWithFilenameObject(PyExc_OSError, path);
        goto finally;
    }
    Py_ssize_t plen = PyUnicode_GET_LENGTH(path);
    if (plen > 0 && PyUnicode_READ_CHAR(path, plen - 1) == '/')
        abase = Py_NewRef(path);
    else
        abase = PyUnicode_FromFormat("%U/", path);
    rbase = PyUnicode_FromFormat("%U/", rel);
    items = PyList_New(0);
    problems = PyList_New(0);
    if (!abase || !rbase || !items || !problems)
        goto finally;
    for (Py_ssize_t i = 0; i < n; i++) {
        dent_t *e = &l.ents[i];
        PyObject *name = PyUnicode_DecodeUTF8(e->ptr, (Py_ssize_t)e->len, NULL);
        if (!name) {  /* not UTF-8: Python's order differs from the bytes' */
            if (!PyErr_ExceptionMatches(PyExc_UnicodeDecodeError))
                goto finally;
            PyErr_Clear();
            ret = Py_NewRef(Py_None);
            goto finally;
        }
        const char *kind = NULL;
        if (!e->err) {
            if (S_ISREG(e->st.st_mode))
                kind = "file";
            else if (S_ISDIR(e->st.st_mode))
                kind = "dir";
            else if (S_ISLNK(e->st.st_mode))
                kind = "symlink";
        }
        if (!kind) {
            PyObject *p = Py_BuildValue("(Ni)", name, e->err);
            if (!p || PyList_Append(problems, p) < 0) {
                Py_XDECREF(p);
                goto finally;
            }
            Py_DECREF(p);
            continue;
        }
        PyObject *v[ITEM_FIELDS];
        v[0] = PyUnicode_Concat(rbase, name);
        v[1] = PyUnicode_Concat(abase, name);
        Py_DECREF(name);
        v[2] = PyUnicode_InternFromString(kind);
        v[3] = PyLong_FromLong((long)e->st.st_mode);
        v[4] = id_long(e->st.st_uid);
        v[5] = id_long(e->st.st_gid);
        v[6] = PyLong_FromLongLong((long long)e->st.st_size);
        v[7] = ns_long(e->st.st_mtim);
        v[8] = ns_long(e->st.st_ctim);
        v[9] = PyLong_FromUnsignedLongLong((unsigned long long)e->st.st_ino);
        v[10] = PyLong_FromUnsignedLongLong((unsigned long long)e->st.st_dev);
        v[11] = PyLong_FromUnsignedLongLong((unsigned long long)e->st.st_nlink);
        v[12] = PyLong_FromLongLong((long long)e->st.st_blocks);
        int bad = 0;
        for (int k = 0; k < ITEM_FIELDS; k++)
            bad |= v[k] == NULL;
        if (bad) {
            for (int k = 0; k < ITEM_FIELDS; k++)
                Py_XDECREF(v[k]);
            goto finally;
        }
        PyObject *item = new_item((PyTypeObject *)cls, offsets, v);
        if (!item || PyList_Append(items, item) < 0) {
            Py_XDECREF(item);
            goto finally;
        }
        Py_DECREF(item);
    }
    ret = Py_BuildValue("(OO)", items, problems);
finally:
    Py_XDECREF(items);
    Py_XDECREF(problems);
    Py_XDECREF(abase);
    Py_XDECREF(rbase);
    Py_DECREF(fspath);
    free(l.ents);
    free(l.names);
    return ret;
}

static PyMethodDef methods[] = {
    {"pack", pack, METH_VARARGS,
     "pack(items, start, out, small, in_json, users, groups[, listing]) -> (used, entries, "
     "problems, files, nbytes): frame a run of small files and folders as ustar entries into "
     "out, hashing each file and writing its manifest entry (see _fastpack.c)."},
    {"folder", folder, METH_VARARGS,
     "folder(path, rel, Item) -> (items, problems) | None: one folder of the walk, listed and "
     "lstat'ed without the GIL, in name order (see _fastpack.c)."},
    {NULL, NULL, 0, NULL},
};

static int exec_module(PyObject *mod)
{
    state_t *s = get_state(mod);
    s->sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
    if (!s->sha256) {
        PyErr_SetString(PyExc_ImportError, "libcrypto has no SHA-256");
        return -1;
    }
    if (!(s->s_path = PyUnicode_InternFromString("path"))
            || !(s->s_abspath = PyUnicode_InternFromString("abspath"))
            || !(s->s_type = PyUnicode_InternFromString("type"))
            || !(s->s_mode = PyUnicode_InternFromString("mode"))
            || !(s->s_uid = PyUnicode_InternFromString("uid"))
            || !(s->s_gid = PyUnicode_InternFromString("gid"))
            || !(s->s_size = PyUnicode_InternFromString("size"))
            || !(s->s_mtime_ns = PyUnicode_InternFromString("mtime_ns"))
            || !(s->s_ctime_ns = PyUnicode_InternFromString("ctime_ns"))
            || !(s->s_ino = PyUnicode_InternFromString("ino"))
            || !(s->s_nlink = PyUnicode_InternFromString("nlink"))
            || !(s->s_blocks = PyUnicode_InternFromString("blocks")))
        return -1;
    if (PyModule_AddIntConstant(mod, "BLOCK", BLOCK) < 0)
        return -1;
    return 0;
}

static int traverse(PyObject *mod, visitproc visit, void *arg)
{
    (void)mod; (void)visit; (void)arg;
    return 0;
}

static void free_module(void *mod)
{
    state_t *s = get_state((PyObject *)mod);
    if (!s)
        return;
    EVP_MD_free(s->sha256);
    s->sha256 = NULL;
    Py_CLEAR(s->s_path);
    Py_CLEAR(s->s_abspath);
    Py_CLEAR(s->s_type);
    Py_CLEAR(s->s_mode);
    Py_CLEAR(s->s_uid);
    Py_CLEAR(s->s_gid);
    Py_CLEAR(s->s_size);
    Py_CLEAR(s->s_mtime_ns);
    Py_CLEAR(s->s_ctime_ns);
    Py_CLEAR(s->s_ino);
    Py_CLEAR(s->s_nlink);
    Py_CLEAR(s->s_blocks);
}

static PyModuleDef_Slot slots[] = {
    {Py_mod_exec, exec_module},
    {0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_fastpack",
    "The archive writer's per-file loop (read, SHA-256, ustar framing, manifest entries) without "
    "the GIL.",
    sizeof(state_t), methods, slots, traverse, NULL, free_module,
};

PyMODINIT_FUNC PyInit__fastpack(void) { return PyModuleDef_Init(&module); }

/* `diff A B` of a plan's file index in C: what core.findex.diff writes (json_into, text_into) for
 * the added, changed and deleted paths, byte for byte, without a Python object per path.
 *
 * diff(db, versions_sql, path_sql, paths_sql, most_sql, a, b, as_json, between, write, odd,
 *      common) -> (added, changed, deleted, bytes_added, bytes_changed, bytes_deleted, folders)
 *
 *   db            the index file (bytes), opened read-only on a connection of its own
 *   versions_sql  (path_id, first, last, size, mtime_ns, hash) of the versions held by ?1 or
 *                 ?2, ordered by path_id
 *   path_sql      the path of path id ?1;  paths_sql  (id, path) of every path, ordered by id;
 *                 most_sql  the highest path id
 *   a, b          the two backups' seqs
 *   as_json       the entries of `diff --json`, else the lines of `diff`
 *   between       the two byte strings written between the added and changed sections and
 *                 between the changed and deleted ones
 *   write         called with bytes, about a MiB at a time (out.write)
 *   odd           odd(kind, path, size_a, mtime_a, size_b, mtime_b) -> bytes: the text of an
 *                 entry this file does not write itself (kind 0 added, 1 changed, 2 deleted)
 *   common        None, or the folder common to the plan's files: then `folders` lists, in the
 *                 order they first appear (the sections in turn, each in path order), (the
 *                 name below `common` of each top folder of the change, files added, changed,
 *                 deleted, bytes), as core.findex.diff.Diff.by_folder counts them
 *
 * A path is held by a backup in the version whose [first, last] range holds its seq (last NULL:
 * still held). Both hold it: changed unless the versions' size, mtime and hash are the same.
 * Entries go out in path order (bytes), each section apart. Written here: paths of printable
 * ASCII, mtimes from 1970 on and (for the text) sizes from 0; any other entry is odd's.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <sqlite3.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

enum { ADDED, CHANGED, DELETED };
enum { HAS_SIZE_A = 1, HAS_MTIME_A = 2, HAS_SIZE_B = 4, HAS_MTIME_B = 8 };

typedef struct {
    int64_t path_id, size_a, mtime_a, size_b, mtime_b;
    size_t path_at; /* offset in the path arena */
    uint32_t path_len;
    uint8_t kind, has;
} Entry;

typedef struct {
    Entry *v;
    size_t n, cap;
    char *arena;
    size_t used, room;
} Found;

typedef struct {
    int64_t first, last, size, mtime, hash;
    int has_last, has_size, has_mtime, has_hash;
} Version;

static PyObject *DatabaseError;

/* What went wrong while the GIL was released, raised once it is held again. */
typedef struct {
    int code; /* 0 none, 1 SQLite (its message), 2 memory, 3 a path missing */
    const char *what;
    long long id;
} Err;

static int fail(Err *err, int code, const char *what)
{
    err->code = code;
    err->what = what;
    return -1;
}

static void raise(Err *err, sqlite3 *db)
{
    if (err->code == 2)
        PyErr_NoMemory();
    else if (err->code == 3)
        PyErr_Format(DatabaseError, "index: path %lld is missing", err->id);
    else
        PyErr_Format(DatabaseError, "%s: %s", err->what, db ? sqlite3_errmsg(db) : "out of memory");
}

static int held(const Version *v, int64_t seq)
{
    return v->first <= seq && (!v->has_last || v->last >= seq);
}

static int same(const Version *x, const Version *y)
{
    return x->has_size == y->has_size && (!x->has_size || x->size == y->size) &&
           x->has_mtime == y->has_mtime && (!x->has_mtime || x->mtime == y->mtime) &&
           x->has_hash == y->has_hash && (!x->has_hash || x->hash == y->hash);
}

static void read_version(sqlite3_stmt *st, Version *v)
{
    v->first = sqlite3_column_int64(st, 1);
#define COL(i, f, h) \
    do { v->h = sqlite3_column_type(st, i) != SQLITE_NULL; v->f = v->h ? sqlite3_column_int64(st, i) : 0; } while (0)
    COL(2, last, has_last);
    COL(3, size, has_size);
    COL(4, mtime, has_mtime);
    COL(5, hash, has_hash);
#undef COL
}

static int push(Found *f, int64_t path_id, int kind, const Version *va, const Version *vb)
{
    if (f->n == f->cap) {
        size_t cap = f->cap ? f->cap * 2 : 4096;
        Entry *v = realloc(f->v, cap * sizeof(Entry));
        if (!v)
            return -1;
        f->v = v;
        f->cap = cap;
    }
    Entry *e = &f->v[f->n++];
    memset(e, 0, sizeof *e);
    e->path_id = path_id;
    e->kind = (uint8_t)kind;
    if (va) {
        e->size_a = va->size;
        e->mtime_a = va->mtime;
        e->has |= (va->has_size ? HAS_SIZE_A : 0) | (va->has_mtime ? HAS_MTIME_A : 0);
    }
    if (vb) {
        e->size_b = vb->size;
        e->mtime_b = vb->mtime;
        e->has |= (vb->has_size ? HAS_SIZE_B : 0) | (vb->has_mtime ? HAS_MTIME_B : 0);
    }
    return 0;
}

/* One path's versions are done: what `a` and `b` hold of it, if anything, becomes an entry. */
static int settle(Found *f, int64_t path_id, const Version *va, const Version *vb)
{
    if (va && vb)
        return same(va, vb) ? 0 : push(f, path_id, CHANGED, va, vb);
    if (va)
        return push(f, path_id, DELETED, va, NULL);
    if (vb)
        return push(f, path_id, ADDED, NULL, vb);
    return 0;
}

static int scan_versions(sqlite3 *db, const char *sql, int64_t a, int64_t b, Found *f, Err *err)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        return fail(err, 1, "versions");
    sqlite3_bind_int64(st, 1, a);
    sqlite3_bind_int64(st, 2, b);
    Version cur, va, vb;
    int have_a = 0, have_b = 0, started = 0, rc;
    int64_t path_id = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t id = sqlite3_column_int64(st, 0);
        if (started && id != path_id) {
            if (settle(f, path_id, have_a ? &va : NULL, have_b ? &vb : NULL) < 0)
                goto nomem;
            have_a = have_b = 0;
        }
        started = 1;
        path_id = id;
        read_version(st, &cur);
        if (!have_a && held(&cur, a)) {
            va = cur;
            have_a = 1;
        }
        if (!have_b && held(&cur, b)) {
            vb = cur;
            have_b = 1;
        }
    }
    if (rc != SQLITE_DONE) {
        sqlite3_finalize(st);
        return fail(err, 1, "versions");
    }
    if (started && settle(f, path_id, have_a ? &va : NULL, have_b ? &vb : NULL) < 0)
        goto nomem;
    sqlite3_finalize(st);
    return 0;
nomem:
    sqlite3_finalize(st);
    return fail(err, 2, NULL);
}

static int keep_path(Found *f, Entry *e, const void *path, int len)
{
    if (f->used + (size_t)len > f->room) {
        size_t room = f->room ? f->room : 1 << 20;
        while (room < f->used + (size_t)len)
            room *= 2;
        char *arena = realloc(f->arena, room);
        if (!arena)
            return -1;
        f->arena = arena;
        f->room = room;
    }
    if (len)
        memcpy(f->arena + f->used, path, (size_t)len);
    e->path_at = f->used;
    e->path_len = (uint32_t)len;
    f->used += (size_t)len;
    return 0;
}

/* Each entry's path: by a lookup each when they are few, else from one pass over all paths
 * (entries are in path id order). */
static int read_paths(sqlite3 *db, const char *one_sql, const char *all_sql, const char *most_sql,
                      Found *f, Err *err)
{
    sqlite3_stmt *st;
    int64_t most = 0;
    if (sqlite3_prepare_v2(db, most_sql, -1, &st, NULL) != SQLITE_OK)
        return fail(err, 1, "paths");
    if (sqlite3_step(st) == SQLITE_ROW)
        most = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    int each = (int64_t)f->n * 16 < most;
    if (sqlite3_prepare_v2(db, each ? one_sql : all_sql, -1, &st, NULL) != SQLITE_OK)
        return fail(err, 1, "paths");
    size_t i = 0;
    int rc = SQLITE_ROW;
    while (i < f->n) {
        Entry *e = &f->v[i];
        if (each) {
            sqlite3_reset(st);
            sqlite3_bind_int64(st, 1, e->path_id);
        }
        rc = sqlite3_step(st);
        if (rc != SQLITE_ROW)
            break;
        int col = each ? 0 : 1;
        if (!each && sqlite3_column_int64(st, 0) != e->path_id) {
            if (sqlite3_column_int64(st, 0) > e->path_id)
                break; /* a version of a path that is not there */
            continue;
        }
        const void *p = sqlite3_column_blob(st, col);
        if (keep_path(f, e, p, sqlite3_column_bytes(st, col)) < 0) {
            sqlite3_finalize(st);
            return fail(err, 2, NULL);
        }
        i++;
    }
    if (i < f->n) {
        sqlite3_finalize(st);
        err->id = (long long)f->v[i].path_id;
        return fail(err, rc == SQLITE_ROW || rc == SQLITE_DONE ? 3 : 1, "paths");
    }
    sqlite3_finalize(st);
    return 0;
}

/* An entry to sort: the 16 bytes of its path after the prefix all paths share, as two
 * big-endian keys (zeros past its end: no path holds a NUL), then the rest where they tie. */
typedef struct {
    uint64_t key[2];
    const Entry *e;
} Sorted;

static const char *sort_arena; /* the arena and the shared prefix while qsort runs (the GIL */
static size_t sort_from;        /* is held) */

static int by_path(const void *x, const void *y)
{
    const Sorted *s = x, *t = y;
    if (s->key[0] != t->key[0])
        return s->key[0] < t->key[0] ? -1 : 1;
    if (s->key[1] != t->key[1])
        return s->key[1] < t->key[1] ? -1 : 1;
    const Entry *p = s->e, *q = t->e; /* equal keys: both go on past them, or both end */
    uint32_t n = p->path_len < q->path_len ? p->path_len : q->path_len;
    size_t from = sort_from < n ? sort_from : n;
    int c = memcmp(sort_arena + p->path_at + from, sort_arena + q->path_at + from, n - from);
    if (c)
        return c;
    return p->path_len < q->path_len ? -1 : p->path_len > q->path_len;
}

static size_t shared_prefix(const Found *f)
{
    if (!f->n)
        return 0;
    const char *first = f->arena + f->v[0].path_at;
    size_t shared = f->v[0].path_len;
    for (size_t i = 1; i < f->n && shared; i++) {
        const char *p = f->arena + f->v[i].path_at;
        size_t n = f->v[i].path_len < shared ? f->v[i].path_len : shared, j = 0;
        while (j < n && p[j] == first[j])
            j++;
        shared = j;
    }
    return shared;
}

static Sorted sorted_of(const Entry *e, const char *arena, size_t skip)
{
    Sorted s = {{0, 0}, e};
    const unsigned char *p = (const unsigned char *)arena + e->path_at;
    for (size_t i = 0; i < 16; i++)
        s.key[i / 8] = s.key[i / 8] << 8 | (skip + i < e->path_len ? p[skip + i] : 0);
    return s;
}

/* --- per folder (diff --stat) ---------------------------------------------------------- */

typedef struct {
    const char *head; /* the name below the common folder, in the arena */
    uint32_t len;
    Py_ssize_t n[3];
    __int128 bytes;
} Folder;

typedef struct {
    Folder *v;
    size_t n, cap;
    int32_t *slot; /* open addressing: an index into v, or -1 */
    size_t slots;
} Folders;

static uint64_t fnv(const char *p, uint32_t n)
{
    uint64_t h = 1469598103934665603ULL;
    for (uint32_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)p[i]) * 1099511628211ULL;
    return h;
}

static int32_t *slot_of(const Folders *fs, const char *head, uint32_t len)
{
    size_t i = (size_t)fnv(head, len) & (fs->slots - 1);
    while (fs->slot[i] >= 0) {
        const Folder *f = &fs->v[fs->slot[i]];
        if (f->len == len && !memcmp(f->head, head, len))
            break;
        i = (i + 1) & (fs->slots - 1);
    }
    return &fs->slot[i];
}

static int grow_folders(Folders *fs)
{
    size_t slots = fs->slots ? fs->slots * 2 : 64;
    int32_t *slot = malloc(slots * sizeof *slot);
    if (!slot)
        return -1;
    for (size_t i = 0; i < slots; i++)
        slot[i] = -1;
    free(fs->slot);
    fs->slot = slot;
    fs->slots = slots;
    for (size_t k = 0; k < fs->n; k++)
        *slot_of(fs, fs->v[k].head, fs->v[k].len) = (int32_t)k;
    return 0;
}

/* Count entry e in the folder it is in, one level below `common` (core.findex.feed.folder_of). */
static int count_folder(Folders *fs, const Entry *e, const char *arena, size_t common)
{
    if ((fs->n + 1) * 2 > fs->slots && grow_folders(fs) < 0)
        return -1;
    const char *p = arena + e->path_at;
    size_t start = common ? common + 1 : 0;
    if (start > e->path_len)
        start = e->path_len;
    const char *head = p + start, *slash = memchr(head, '/', e->path_len - start);
    uint32_t len = slash ? (uint32_t)(slash - head) : (uint32_t)(e->path_len - start);
    int32_t *slot = slot_of(fs, head, len);
    if (*slot < 0) {
        if (fs->n == fs->cap) {
            size_t cap = fs->cap ? fs->cap * 2 : 64;
            Folder *v = realloc(fs->v, cap * sizeof *v);
            if (!v)
                return -1;
            fs->v = v;
            fs->cap = cap;
        }
        fs->v[fs->n] = (Folder){head, len, {0, 0, 0}, 0};
        *slot = (int32_t)fs->n++;
    }
    Folder *f = &fs->v[*slot];
    int64_t a = e->has & HAS_SIZE_A ? e->size_a : 0, b = e->has & HAS_SIZE_B ? e->size_b : 0;
    f->n[e->kind]++;
    f->bytes += e->kind == ADDED ? (__int128)b : e->kind == CHANGED ? (__int128)b - a : -(__int128)a;
    return 0;
}

static PyObject *from_int128(__int128 v);

static PyObject *folder_list(const Folders *fs)
{
    PyObject *out = PyList_New((Py_ssize_t)fs->n);
    for (size_t i = 0; out && i < fs->n; i++) {
        const Folder *f = &fs->v[i];
        PyObject *t = Py_BuildValue("y#nnnN", f->head, (Py_ssize_t)f->len, f->n[ADDED],
                                    f->n[CHANGED], f->n[DELETED], from_int128(f->bytes));
        if (!t) {
            Py_CLEAR(out);
            break;
        }
        PyList_SET_ITEM(out, (Py_ssize_t)i, t);
    }
    return out;
}

/* --- output ---------------------------------------------------------------------------- */

typedef struct {
    char *b;
    size_t n, cap;
    PyObject *write;
} Out;

static int flush(Out *o)
{
    if (!o->n)
        return 0;
    PyObject *r = PyObject_CallFunction(o->write, "y#", o->b, (Py_ssize_t)o->n);
    o->n = 0;
    if (!r)
        return -1;
    Py_DECREF(r);
    return 0;
}

static int room(Out *o, size_t need)
{
    if (o->n + need <= o->cap)
        return 0;
    if (flush(o) < 0)
        return -1;
    if (need > o->cap) {
        char *b = realloc(o->b, need);
        if (!b) {
            PyErr_NoMemory();
            return -1;
        }
        o->b = b;
        o->cap = need;
    }
    return 0;
}

#define PUT(o, s) (memcpy((o)->b + (o)->n, (s), sizeof(s) - 1), (o)->n += sizeof(s) - 1)

static void put_int(Out *o, int64_t v)
{
    char t[24];
    int i = 24;
    uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    do {
        t[--i] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0)
        t[--i] = '-';
    memcpy(o->b + o->n, t + i, (size_t)(24 - i));
    o->n += (size_t)(24 - i);
}

static void put_digits(Out *o, int64_t v, int width)
{
    for (int i = width - 1; i >= 0; i--) {
        o->b[o->n + (size_t)i] = (char)('0' + v % 10);
        v /= 10;
    }
    o->n += (size_t)width;
}

/* An mtime in ns (from 1970 on) in UTC: YYYY-MM-DD, sep, HH:MM:SS (core.findex.versions). */
static void put_time(Out *o, int64_t ns, char sep)
{
    int64_t s = ns / 1000000000, days = s / 86400, sod = s % 86400;
    /* civil_from_days (H. Hinnant), days since 1970-01-01 >= 0 */
    int64_t z = days + 719468, era = z / 146097, doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100), mp = (5 * doy + 2) / 153;
    int64_t d = doy - (153 * mp + 2) / 5 + 1, m = mp < 10 ? mp + 3 : mp - 9;
    int64_t y = yoe + era * 400 + (m <= 2);
    put_digits(o, y, 4);
    o->b[o->n++] = '-';
    put_digits(o, m, 2);
    o->b[o->n++] = '-';
    put_digits(o, d, 2);
    o->b[o->n++] = sep;
    put_digits(o, sod / 3600, 2);
    o->b[o->n++] = ':';
    put_digits(o, sod / 60 % 60, 2);
    o->b[o->n++] = ':';
    put_digits(o, sod % 60, 2);
}

/* core.fmt.human_bytes of a size >= 0: "812 B", "1.2 KiB" ... "3.0 PiB" (Python's float, to
 * one place, rounded half to even). */
static void put_human(Out *o, int64_t n)
{
    static const char *units[] = {"KiB", "MiB", "GiB", "TiB", "PiB"};
    if (n < 1024) {
        put_int(o, n);
        PUT(o, " B");
        return;
    }
    int k = 1;
    while (k < 5 && n >= (int64_t)1 << (10 * k + 10))
        k++;
    if (n < (int64_t)1 << 53) { /* exact in a double: tenths in integers */
        int bits = 10 * k;
        int64_t whole = (n * 10) >> bits, rest = (n * 10) & (((int64_t)1 << bits) - 1);
        int64_t half = (int64_t)1 << (bits - 1);
        int64_t tenths = whole + (rest > half || (rest == half && (whole & 1)));
        put_int(o, tenths / 10);
        o->b[o->n++] = '.';
        o->b[o->n++] = (char)('0' + tenths % 10);
    } else {
        o->n += (size_t)snprintf(o->b + o->n, 32, "%.1f", (double)n / (double)((int64_t)1 << (10 * k)));
    }
    o->b[o->n++] = ' ';
    memcpy(o->b + o->n, units[k - 1], 3);
    o->n += 3;
}

static int plain_path(const unsigned char *p, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++)
        if (p[i] < 0x20 || p[i] > 0x7e)
            return 0;
    return 1;
}

static int plain(const Entry *e, const char *arena, int as_json)
{
    if ((e->has & HAS_MTIME_A && e->mtime_a < 0) || (e->has & HAS_MTIME_B && e->mtime_b < 0))
        return 0;
    if (!as_json && ((e->has & HAS_SIZE_A && e->size_a < 0) || (e->has & HAS_SIZE_B && e->size_b < 0)))
        return 0;
    return plain_path((const unsigned char *)arena + e->path_at, e->path_len);
}

static void put_json_path(Out *o, const char *p, uint32_t n)
{
    o->b[o->n++] = '"';
    for (uint32_t i = 0; i < n; i++) {
        if (p[i] == '"' || p[i] == '\\')
            o->b[o->n++] = '\\';
        o->b[o->n++] = p[i];
    }
    o->b[o->n++] = '"';
}

static void put_json_int(Out *o, int has, int64_t v)
{
    if (has)
        put_int(o, v);
    else
        PUT(o, "null");
}

static void put_json_time(Out *o, int has, int64_t ns)
{
    if (!has) {
        PUT(o, "null");
        return;
    }
    o->b[o->n++] = '"';
    put_time(o, ns, 'T');
    PUT(o, "Z\"");
}

static void put_text_time(Out *o, int has, int64_t ns)
{
    if (has)
        put_time(o, ns, ' ');
    else
        o->b[o->n++] = '?';
}

static void put_entry(Out *o, const Entry *e, const char *p, int as_json)
{
    int sa = e->has & HAS_SIZE_A, ma = e->has & HAS_MTIME_A;
    int sb = e->has & HAS_SIZE_B, mb = e->has & HAS_MTIME_B;
    if (as_json) {
        PUT(o, "{\"path\": ");
        put_json_path(o, p, e->path_len);
        if (e->kind == CHANGED) {
            PUT(o, ", \"size_before\": ");
            put_json_int(o, sa, e->size_a);
            PUT(o, ", \"size_after\": ");
            put_json_int(o, sb, e->size_b);
            PUT(o, ", \"mtime_before\": ");
            put_json_time(o, ma, e->mtime_a);
            PUT(o, ", \"mtime_after\": ");
            put_json_time(o, mb, e->mtime_b);
        } else {
            int one = e->kind == ADDED;
            PUT(o, ", \"size\": ");
            put_json_int(o, one ? sb : sa, one ? e->size_b : e->size_a);
            PUT(o, ", \"mtime\": ");
            put_json_time(o, one ? mb : ma, one ? e->mtime_b : e->mtime_a);
        }
        o->b[o->n++] = '}';
        return;
    }
    o->b[o->n++] = "+M-"[e->kind];
    o->b[o->n++] = ' ';
    memcpy(o->b + o->n, p, e->path_len);
    o->n += e->path_len;
    PUT(o, "  ");
    if (e->kind == CHANGED) {
        put_human(o, sa ? e->size_a : 0);
        PUT(o, " -> ");
        put_human(o, sb ? e->size_b : 0);
        PUT(o, ", modified ");
        put_text_time(o, ma, e->mtime_a);
        PUT(o, " -> ");
        put_text_time(o, mb, e->mtime_b);
    } else if (e->kind == ADDED) {
        put_human(o, sb ? e->size_b : 0);
    } else {
        put_human(o, sa ? e->size_a : 0);
    }
    o->b[o->n++] = '\n';
}

static PyObject *maybe_int(int has, int64_t v)
{
    if (has)
        return PyLong_FromLongLong(v);
    Py_RETURN_NONE;
}

static int put_odd(Out *o, const Entry *e, const char *p, PyObject *odd)
{
    PyObject *r = PyObject_CallFunction(
        odd, "iy#NNNN", (int)e->kind, p, (Py_ssize_t)e->path_len,
        maybe_int(e->has & HAS_SIZE_A, e->size_a), maybe_int(e->has & HAS_MTIME_A, e->mtime_a),
        maybe_int(e->has & HAS_SIZE_B, e->size_b), maybe_int(e->has & HAS_MTIME_B, e->mtime_b));
    if (!r)
        return -1;
    char *s;
    Py_ssize_t n;
    if (PyBytes_AsStringAndSize(r, &s, &n) < 0 || room(o, (size_t)n) < 0) {
        Py_DECREF(r);
        return -1;
    }
    memcpy(o->b + o->n, s, (size_t)n);
    o->n += (size_t)n;
    Py_DECREF(r);
    return 0;
}

/* The most an entry of ours takes: the path (escaped: twice), keys, 4 integers, 2 times. */
#define ENTRY_MAX(len) (2 * (size_t)(len) + 256)

static int write_section(Out *o, const Sorted *sorted, size_t n, const char *arena,
                         int as_json, PyObject *odd)
{
    for (size_t i = 0; i < n; i++) {
        const Entry *e = sorted[i].e;
        if (i + 8 < n) {
            __builtin_prefetch(sorted[i + 8].e);
            __builtin_prefetch(arena + sorted[i + 4].e->path_at);
        }
        if (room(o, ENTRY_MAX(e->path_len)) < 0)
            return -1;
        if (as_json && i)
            PUT(o, ", ");
        const char *p = arena + e->path_at;
        if (plain(e, arena, as_json))
            put_entry(o, e, p, as_json);
        else if (put_odd(o, e, p, odd) < 0)
            return -1;
    }
    return 0;
}

static int put_bytes(Out *o, PyObject *b)
{
    char *s;
    Py_ssize_t n;
    if (PyBytes_AsStringAndSize(b, &s, &n) < 0 || room(o, (size_t)n) < 0)
        return -1;
    memcpy(o->b + o->n, s, (size_t)n);
    o->n += (size_t)n;
    return 0;
}

static PyObject *from_int128(__int128 v)
{
    if (v >= INT64_MIN && v <= INT64_MAX)
        return PyLong_FromLongLong((long long)v);
    char t[48];
    int i = 47, neg = v < 0;
    unsigned __int128 u = neg ? (unsigned __int128)0 - (unsigned __int128)v : (unsigned __int128)v;
    t[i] = 0;
    do {
        t[--i] = (char)('0' + (int)(u % 10));
        u /= 10;
    } while (u);
    if (neg)
        t[--i] = '-';
    return PyLong_FromString(t + i, NULL, 10);
}

static PyObject *diff(PyObject *self, PyObject *args)
{
    (void)self;
    PyObject *dbpath, *between, *write, *odd, *common;
    const char *versions_sql, *path_sql, *paths_sql, *most_sql;
    long long a, b;
    int as_json;
    if (!PyArg_ParseTuple(args, "O&ssssLLpO!OOO:diff", PyUnicode_FSConverter, &dbpath,
                          &versions_sql, &path_sql, &paths_sql, &most_sql, &a, &b, &as_json,
                          &PyTuple_Type, &between, &write, &odd, &common))
        return NULL;
    if (PyTuple_GET_SIZE(between) != 2 || !PyBytes_Check(PyTuple_GET_ITEM(between, 0)) ||
        !PyBytes_Check(PyTuple_GET_ITEM(between, 1)) ||
        (common != Py_None && !PyBytes_Check(common))) {
        Py_DECREF(dbpath);
        PyErr_SetString(PyExc_TypeError, "between: two bytes; common: bytes or None");
        return NULL;
    }
    int stat = common != Py_None;
    size_t common_len = stat ? (size_t)PyBytes_GET_SIZE(common) : 0;
    Folders folders = {NULL, 0, 0, NULL, 0};
    Found f = {0};
    Out o = {NULL, 0, 0, write};
    Sorted *sorted = NULL;
    PyObject *result = NULL;
    sqlite3 *db = NULL;
    int rc, failed;
    Py_BEGIN_ALLOW_THREADS
    rc = sqlite3_open_v2(PyBytes_AS_STRING(dbpath), &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc == SQLITE_OK) {
        sqlite3_busy_timeout(db, 5000);
        rc = sqlite3_exec(db, "BEGIN", NULL, NULL, NULL);
    }
    Py_END_ALLOW_THREADS
    Py_DECREF(dbpath);
    Err err = {0, NULL, 0};
    if (rc != SQLITE_OK) {
        err.what = "index";
        raise(&err, db);
        goto done;
    }
    /* The scans touch no Python object; their errors are raised once the GIL is back. */
    PyThreadState *ts = PyEval_SaveThread();
    failed = scan_versions(db, versions_sql, a, b, &f, &err) < 0 ||
             read_paths(db, path_sql, paths_sql, most_sql, &f, &err) < 0;
    PyEval_RestoreThread(ts);
    if (failed) {
        raise(&err, db);
        goto done;
    }
    sorted = malloc((f.n ? f.n : 1) * sizeof *sorted);
    o.cap = 1 << 20;
    o.b = malloc(o.cap);
    if (!sorted || !o.b) {
        PyErr_NoMemory();
        goto done;
    }
    __int128 bytes[3] = {0, 0, 0};
    size_t count[3] = {0, 0, 0}, at[3];
    for (size_t i = 0; i < f.n; i++) {
        const Entry *e = &f.v[i];
        count[e->kind]++;
        if (e->kind == DELETED ? e->has & HAS_SIZE_A : e->has & HAS_SIZE_B)
            bytes[e->kind] += e->kind == DELETED ? e->size_a : e->size_b;
    }
    /* each section apart, in path order */
    at[ADDED] = 0;
    at[CHANGED] = count[ADDED];
    at[DELETED] = count[ADDED] + count[CHANGED];
    size_t skip = shared_prefix(&f);
    for (size_t i = 0; i < f.n; i++) {
        const Entry *e = &f.v[i];
        sorted[at[e->kind]++] = sorted_of(e, f.arena, skip);
    }
    sort_arena = f.arena;
    sort_from = skip + 16;
    const Sorted *part = sorted;
    for (int k = ADDED; k <= DELETED; k++) {
        qsort((void *)part, count[k], sizeof *sorted, by_path);
        for (size_t i = 0; stat && i < count[k]; i++)
            if (count_folder(&folders, part[i].e, f.arena, common_len) < 0) {
                PyErr_NoMemory();
                goto done;
            }
        if ((k > ADDED && put_bytes(&o, PyTuple_GET_ITEM(between, k - 1)) < 0) ||
            write_section(&o, part, count[k], f.arena, as_json, odd) < 0)
            goto done;
        part += count[k];
    }
    if (flush(&o) < 0)
        goto done;
    PyObject *per_folder = stat ? folder_list(&folders) : Py_NewRef(Py_None);
    if (!per_folder)
        goto done;
    result = Py_BuildValue("nnnNNNN", (Py_ssize_t)count[ADDED], (Py_ssize_t)count[CHANGED],
                           (Py_ssize_t)count[DELETED], from_int128(bytes[ADDED]),
                           from_int128(bytes[CHANGED]), from_int128(bytes[DELETED]), per_folder);
done:
    if (db) {
        sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
        sqlite3_close(db);
    }
    free(folders.v);
    free(folders.slot);
    free(sorted);
    free(o.b);
    free(f.v);
    free(f.arena);
    return result;
}

static PyMethodDef methods[] = {
    {"diff", diff, METH_VARARGS, "What changed between two backups of an index, written out."},
    {NULL, NULL, 0, NULL},
};

static int exec_module(PyObject *m)
{
    (void)m;
    PyObject *sqlite = PyImport_ImportModule("sqlite3");
    if (!sqlite)
        return -1;
    DatabaseError = PyObject_GetAttrString(sqlite, "DatabaseError");
    Py_DECREF(sqlite);
    return DatabaseError ? 0 : -1;
}

static PyModuleDef_Slot slots[] = {
    {Py_mod_exec, exec_module},
    {0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_fastdiff",
    "The file index's diff written in C (core.findex.diff).", 0, methods, slots, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit__fastdiff(void) { return PyModuleDef_Init(&module); }

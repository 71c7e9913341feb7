/*
 * An LD_PRELOAD shim that gives the C o2cb_ctl a fake system root, so the differential
 * tests can run it without a kernel and without touching the machine.
 *
 *   LD_PRELOAD=sysroot_shim.so O2CB_SHIM_ROOT=/tmp/root [O2CB_SHIM_LOG=/tmp/log] o2cb_ctl ...
 *
 * Absolute paths under these prefixes are taken to O2CB_SHIM_ROOT + path:
 *   /etc/ocfs2                      cluster.conf, its temporary file, the mkdir of the directory
 *   /sys/fs/ocfs2  /sys/fs/o2cb     the stack label and the interface revision
 *   /sys/o2cb  /proc/fs/ocfs2_nodemanager   the older places of the interface revision
 *   /sys/kernel/config  /config     configfs
 * statfs/fstatfs of anything in the fake configfs report configfs's magic number (libo2cb
 * accepts a mount point only with that magic). An exec of /sbin/modprobe runs
 * O2CB_SHIM_ROOT/sbin/modprobe if the test put one there, else /bin/true, so module loading
 * is harmless. Without O2CB_SHIM_ROOT every one of these paths fails with EACCES: a run
 * that forgot the variable cannot reach the real /etc/ocfs2.
 *
 * The interposed functions are the ones the C tool and GLib call by name (nm -D, strace);
 * glibc-internal calls (fopen's own open, mkstemp's own open) are covered by interposing the
 * outer function. With O2CB_SHIM_LOG, every redirection is appended there as
 * "function original -> redirected" (the shim's own self-test reads it).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>

#define CONFIGFS_MAGIC 0x62656570

static const char *const prefixes[] = {
	"/etc/ocfs2",
	"/sys/fs/ocfs2",
	"/sys/fs/o2cb",
	"/sys/o2cb",
	"/proc/fs/ocfs2_nodemanager",
	"/sys/kernel/config",
	"/config",
	NULL,
};

static const char *const configfs_prefixes[] = { "/sys/kernel/config", "/config", NULL };

#define REAL(ret, name, args)                                                   \
	static ret(*real_##name) args;                                          \
	if (!real_##name)                                                       \
		*(void **)(&real_##name) = dlsym(RTLD_NEXT, #name);

static int under(const char *path, const char *prefix)
{
	size_t n = strlen(prefix);
	return strncmp(path, prefix, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

static int protected_path(const char *path)
{
	if (!path || path[0] != '/')
		return 0;
	for (const char *const *p = prefixes; *p; p++)
		if (under(path, *p))
			return 1;
	return 0;
}

static void log_line(const char *fn, const char *from, const char *to)
{
	const char *log = getenv("O2CB_SHIM_LOG");
	char line[2 * PATH_MAX + 64];
	int fd, n;

	if (!log || !*log)
		return;
	n = snprintf(line, sizeof(line), "%s %s -> %s\n", fn, from, to);
	if (n < 0 || (size_t)n >= sizeof(line))
		return;
	/* The raw system call: the log is not one of the redirected paths, but this keeps the
	 * shim's own bookkeeping out of any interposed function. */
	fd = (int)syscall(SYS_openat, AT_FDCWD, log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return;
	if (write(fd, line, (size_t)n) < 0) {
		/* Nothing to do: the log is a test aid. */
	}
	close(fd);
}

/*
 * The path to use instead of `path`: `buf` holding the redirected one, `path` itself when it
 * is not one of ours, or NULL (errno EACCES) when it is ours and no root is set.
 */
static const char *redirect(const char *fn, const char *path, char *buf)
{
	const char *root;

	if (!protected_path(path))
		return path;
	root = getenv("O2CB_SHIM_ROOT");
	if (!root || !*root) {
		errno = EACCES;
		return NULL;
	}
	if ((size_t)snprintf(buf, PATH_MAX, "%s%s", root, path) >= PATH_MAX) {
		errno = ENAMETOOLONG;
		return NULL;
	}
	log_line(fn, path, buf);
	return buf;
}

/* Whether `path` (already redirected) lies in the fake configfs. */
static int in_fake_configfs(const char *path)
{
	const char *root = getenv("O2CB_SHIM_ROOT");
	char dir[PATH_MAX];

	if (!root || !*root)
		return 0;
	for (const char *const *p = configfs_prefixes; *p; p++) {
		if ((size_t)snprintf(dir, sizeof(dir), "%s%s", root, *p) >= sizeof(dir))
			continue;
		if (under(path, dir))
			return 1;
	}
	return 0;
}

static int fd_in_fake_configfs(int fd)
{
	char link[64], target[PATH_MAX];
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, target, sizeof(target) - 1);
	if (n < 0)
		return 0;
	target[n] = '\0';
	return in_fake_configfs(target);
}

#define REDIRECT_OR_FAIL(fn, path, buf, failure)                                \
	const char *p_ = redirect(fn, path, buf);                               \
	if (!p_)                                                                \
		return failure;

static mode_t mode_arg(int flags, va_list ap)
{
	if (flags & (O_CREAT | O_TMPFILE))
		return (mode_t)va_arg(ap, int);
	return 0;
}

/* ---- open ---- */

#define OPEN_LIKE(name)                                                         \
	int name(const char *path, int flags, ...)                              \
	{                                                                       \
		char buf[PATH_MAX];                                             \
		va_list ap;                                                     \
		mode_t mode;                                                    \
		REAL(int, name, (const char *, int, ...));                      \
		va_start(ap, flags);                                            \
		mode = mode_arg(flags, ap);                                     \
		va_end(ap);                                                     \
		REDIRECT_OR_FAIL(#name, path, buf, -1);                         \
		return real_##name(p_, flags, mode);                            \
	}

OPEN_LIKE(open)
OPEN_LIKE(open64)

#define OPENAT_LIKE(name)                                                       \
	int name(int dirfd, const char *path, int flags, ...)                   \
	{                                                                       \
		char buf[PATH_MAX];                                             \
		va_list ap;                                                     \
		mode_t mode;                                                    \
		REAL(int, name, (int, const char *, int, ...));                 \
		va_start(ap, flags);                                            \
		mode = mode_arg(flags, ap);                                     \
		va_end(ap);                                                     \
		REDIRECT_OR_FAIL(#name, path, buf, -1);                         \
		return real_##name(dirfd, p_, flags, mode);                     \
	}

OPENAT_LIKE(openat)
OPENAT_LIKE(openat64)

/* The _FORTIFY_SOURCE entry points (the C tool calls __open64_2). */
#define OPEN2_LIKE(name)                                                        \
	int name(const char *path, int flags)                                   \
	{                                                                       \
		char buf[PATH_MAX];                                             \
		REAL(int, name, (const char *, int));                           \
		REDIRECT_OR_FAIL(#name, path, buf, -1);                         \
		return real_##name(p_, flags);                                  \
	}

OPEN2_LIKE(__open_2)
OPEN2_LIKE(__open64_2)

#define OPENAT2_LIKE(name)                                                      \
	int name(int dirfd, const char *path, int flags)                        \
	{                                                                       \
		char buf[PATH_MAX];                                             \
		REAL(int, name, (int, const char *, int));                      \
		REDIRECT_OR_FAIL(#name, path, buf, -1);                         \
		return real_##name(dirfd, p_, flags);                           \
	}

OPENAT2_LIKE(__openat_2)
OPENAT2_LIKE(__openat64_2)

#define FOPEN_LIKE(name)                                                        \
	FILE *name(const char *path, const char *mode)                          \
	{                                                                       \
		char buf[PATH_MAX];                                             \
		REAL(FILE *, name, (const char *, const char *));               \
		REDIRECT_OR_FAIL(#name, path, buf, NULL);                       \
		return real_##name(p_, mode);                                   \
	}

FOPEN_LIKE(fopen)
FOPEN_LIKE(fopen64)

FILE *freopen(const char *path, const char *mode, FILE *stream)
{
	char buf[PATH_MAX];
	REAL(FILE *, freopen, (const char *, const char *, FILE *));
	if (!path)
		return real_freopen(path, mode, stream);
	REDIRECT_OR_FAIL("freopen", path, buf, NULL);
	return real_freopen(p_, mode, stream);
}

/* ---- stat family ---- */

#define STAT_LIKE(name, st)                                                     \
	int name(const char *path, struct st *sb)                               \
	{                                                                       \
		char buf[PATH_MAX];                                             \
		REAL(int, name, (const char *, struct st *));                   \
		REDIRECT_OR_FAIL(#name, path, buf, -1);                         \
		return real_##name(p_, sb);                                     \
	}

STAT_LIKE(stat, stat)
STAT_LIKE(stat64, stat64)
STAT_LIKE(lstat, stat)
STAT_LIKE(lstat64, stat64)

#define FSTATAT_LIKE(name, st)                                                  \
	int name(int dirfd, const char *path, struct st *sb, int flags)         \
	{                                                                       \
		char buf[PATH_MAX];                                             \
		REAL(int, name, (int, const char *, struct st *, int));         \
		REDIRECT_OR_FAIL(#name, path, buf, -1);                         \
		return real_##name(dirfd, p_, sb, flags);                       \
	}

FSTATAT_LIKE(fstatat, stat)
FSTATAT_LIKE(fstatat64, stat64)

/* The pre-2.33 glibc entry points, which older builds of the tools call. */
int __xstat(int ver, const char *path, struct stat *sb);
int __xstat64(int ver, const char *path, struct stat64 *sb);
int __lxstat(int ver, const char *path, struct stat *sb);
int __lxstat64(int ver, const char *path, struct stat64 *sb);

#define XSTAT_LIKE(name, st)                                                    \
	int name(int ver, const char *path, struct st *sb)                      \
	{                                                                       \
		char buf[PATH_MAX];                                             \
		REAL(int, name, (int, const char *, struct st *));              \
		REDIRECT_OR_FAIL(#name, path, buf, -1);                         \
		if (!real_##name) {                                             \
			errno = ENOSYS;                                         \
			return -1;                                              \
		}                                                               \
		return real_##name(ver, p_, sb);                                \
	}

XSTAT_LIKE(__xstat, stat)
XSTAT_LIKE(__xstat64, stat64)
XSTAT_LIKE(__lxstat, stat)
XSTAT_LIKE(__lxstat64, stat64)

int statx(int dirfd, const char *path, int flags, unsigned int mask, struct statx *sb)
{
	char buf[PATH_MAX];
	REAL(int, statx, (int, const char *, int, unsigned int, struct statx *));
	REDIRECT_OR_FAIL("statx", path, buf, -1);
	return real_statx(dirfd, p_, flags, mask, sb);
}

int access(const char *path, int mode)
{
	char buf[PATH_MAX];
	REAL(int, access, (const char *, int));
	REDIRECT_OR_FAIL("access", path, buf, -1);
	return real_access(p_, mode);
}

int faccessat(int dirfd, const char *path, int mode, int flags)
{
	char buf[PATH_MAX];
	REAL(int, faccessat, (int, const char *, int, int));
	REDIRECT_OR_FAIL("faccessat", path, buf, -1);
	return real_faccessat(dirfd, p_, mode, flags);
}

/* ---- statfs: the fake configfs is configfs ---- */

#define STATFS_LIKE(name, st)                                                   \
	int name(const char *path, struct st *sb)                               \
	{                                                                       \
		char buf[PATH_MAX];                                             \
		int ret;                                                        \
		REAL(int, name, (const char *, struct st *));                   \
		REDIRECT_OR_FAIL(#name, path, buf, -1);                         \
		ret = real_##name(p_, sb);                                      \
		if (ret == 0 && in_fake_configfs(p_))                           \
			sb->f_type = CONFIGFS_MAGIC;                            \
		return ret;                                                     \
	}

STATFS_LIKE(statfs, statfs)
STATFS_LIKE(statfs64, statfs64)

#define FSTATFS_LIKE(name, st)                                                  \
	int name(int fd, struct st *sb)                                         \
	{                                                                       \
		int ret;                                                        \
		REAL(int, name, (int, struct st *));                            \
		ret = real_##name(fd, sb);                                      \
		if (ret == 0 && fd_in_fake_configfs(fd))                        \
			sb->f_type = CONFIGFS_MAGIC;                            \
		return ret;                                                     \
	}

FSTATFS_LIKE(fstatfs, statfs)
FSTATFS_LIKE(fstatfs64, statfs64)

/* ---- directories and names ---- */

DIR *opendir(const char *path)
{
	char buf[PATH_MAX];
	REAL(DIR *, opendir, (const char *));
	REDIRECT_OR_FAIL("opendir", path, buf, NULL);
	return real_opendir(p_);
}

int mkdir(const char *path, mode_t mode)
{
	char buf[PATH_MAX];
	REAL(int, mkdir, (const char *, mode_t));
	REDIRECT_OR_FAIL("mkdir", path, buf, -1);
	return real_mkdir(p_, mode);
}

int mkdirat(int dirfd, const char *path, mode_t mode)
{
	char buf[PATH_MAX];
	REAL(int, mkdirat, (int, const char *, mode_t));
	REDIRECT_OR_FAIL("mkdirat", path, buf, -1);
	return real_mkdirat(dirfd, p_, mode);
}

int rmdir(const char *path)
{
	char buf[PATH_MAX];
	REAL(int, rmdir, (const char *));
	REDIRECT_OR_FAIL("rmdir", path, buf, -1);
	return real_rmdir(p_);
}

int unlink(const char *path)
{
	char buf[PATH_MAX];
	REAL(int, unlink, (const char *));
	REDIRECT_OR_FAIL("unlink", path, buf, -1);
	return real_unlink(p_);
}

int unlinkat(int dirfd, const char *path, int flags)
{
	char buf[PATH_MAX];
	REAL(int, unlinkat, (int, const char *, int));
	REDIRECT_OR_FAIL("unlinkat", path, buf, -1);
	return real_unlinkat(dirfd, p_, flags);
}

int rename(const char *from, const char *to)
{
	char fbuf[PATH_MAX], tbuf[PATH_MAX];
	const char *f, *t;
	REAL(int, rename, (const char *, const char *));
	if (!(f = redirect("rename", from, fbuf)) || !(t = redirect("rename", to, tbuf)))
		return -1;
	return real_rename(f, t);
}

int renameat(int fromfd, const char *from, int tofd, const char *to)
{
	char fbuf[PATH_MAX], tbuf[PATH_MAX];
	const char *f, *t;
	REAL(int, renameat, (int, const char *, int, const char *));
	if (!(f = redirect("renameat", from, fbuf)) || !(t = redirect("renameat", to, tbuf)))
		return -1;
	return real_renameat(fromfd, f, tofd, t);
}

int chmod(const char *path, mode_t mode)
{
	char buf[PATH_MAX];
	REAL(int, chmod, (const char *, mode_t));
	REDIRECT_OR_FAIL("chmod", path, buf, -1);
	return real_chmod(p_, mode);
}

int truncate(const char *path, off_t length)
{
	char buf[PATH_MAX];
	REAL(int, truncate, (const char *, off_t));
	REDIRECT_OR_FAIL("truncate", path, buf, -1);
	return real_truncate(p_, length);
}

char *realpath(const char *path, char *resolved)
{
	char buf[PATH_MAX];
	REAL(char *, realpath, (const char *, char *));
	REDIRECT_OR_FAIL("realpath", path, buf, NULL);
	return real_realpath(p_, resolved);
}

ssize_t readlink(const char *path, char *out, size_t size)
{
	char buf[PATH_MAX];
	REAL(ssize_t, readlink, (const char *, char *, size_t));
	REDIRECT_OR_FAIL("readlink", path, buf, -1);
	return real_readlink(p_, out, size);
}

/*
 * mkstemp writes the chosen name into the caller's template, which is too short for the
 * redirected path: the redirected copy gets the random letters, and they are copied back
 * into the caller's template (whose later rename/unlink are redirected again). mkstemp is
 * mkostemp without extra flags.
 */
static int redirected_mkostemp(const char *fn, char *tmpl, int flags)
{
	char buf[PATH_MAX];
	size_t n, m;
	int fd;
	REAL(int, mkostemp, (char *, int));
	REDIRECT_OR_FAIL(fn, tmpl, buf, -1);
	if (p_ == tmpl)
		return real_mkostemp(tmpl, flags);
	fd = real_mkostemp(buf, flags);
	n = strlen(tmpl);
	m = strlen(buf);
	if (fd >= 0 && n >= 6 && m >= 6)
		memcpy(tmpl + n - 6, buf + m - 6, 6);
	return fd;
}

int mkstemp(char *tmpl)
{
	return redirected_mkostemp("mkstemp", tmpl, 0);
}

int mkstemp64(char *tmpl)
{
	return redirected_mkostemp("mkstemp64", tmpl, 0);
}

int mkostemp(char *tmpl, int flags)
{
	return redirected_mkostemp("mkostemp", tmpl, flags);
}

int mkostemp64(char *tmpl, int flags)
{
	return redirected_mkostemp("mkostemp64", tmpl, flags);
}

/* ---- module loading ---- */

/* /sbin/modprobe becomes the test's own modprobe, or /bin/true. */
static const char *exec_target(const char *path, char *buf)
{
	const char *root = getenv("O2CB_SHIM_ROOT");

	if (!path || strcmp(path, "/sbin/modprobe") != 0)
		return path;
	if (root && *root && (size_t)snprintf(buf, PATH_MAX, "%s/sbin/modprobe", root) < PATH_MAX) {
		REAL(int, access, (const char *, int));
		if (real_access(buf, X_OK) == 0) {
			log_line("exec", path, buf);
			return buf;
		}
	}
	log_line("exec", path, "/bin/true");
	return "/bin/true";
}

int execv(const char *path, char *const argv[])
{
	char buf[PATH_MAX];
	REAL(int, execv, (const char *, char *const[]));
	return real_execv(exec_target(path, buf), argv);
}

int execve(const char *path, char *const argv[], char *const envp[])
{
	char buf[PATH_MAX];
	REAL(int, execve, (const char *, char *const[], char *const[]));
	return real_execve(exec_target(path, buf), argv, envp);
}

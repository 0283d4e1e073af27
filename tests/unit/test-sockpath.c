// SPDX-License-Identifier: MIT
/*
 * Unit tests for sockpath, on real nodes in a fresh directory made by mkdtemp(3) under /tmp and
 * removed after each test: exact modes under any umask, owner and group as root, refusal of
 * anything that is not a stale socket (left untouched), unsafe directories, and removal only of
 * the node we created. Every test also checks that no descriptor is leaked.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "udsecho/nss.h"
#include "udsecho/sockpath.h"

struct fixture {
	char dir[64];
	char path[128]; /* dir + "/sock" */
	mode_t umask;
	int nfds;
};

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)))
		n++;
	closedir(d);
	return n;
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/udsecho-test-XXXXXX");
	if (!mkdtemp(f->dir)) {
		free(f);
		return -1;
	}
	snprintf(f->path, sizeof(f->path), "%s/sock", f->dir);
	f->umask = umask(022);
	umask(f->umask);
	f->nfds = count_fds();
	*state = f;
	return 0;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	int leaked = count_fds() - f->nfds;

	umask(f->umask);
	chmod(f->dir, 0700);
	nftw(f->dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(f);
	if (leaked) {
		fprintf(stderr, "%d file descriptor(s) leaked\n", leaked);
		return -1;
	}
	return 0;
}

static void skip_unless_root(const char *why)
{
	if (geteuid() != 0) {
		fprintf(stderr, "skipped: %s needs root\n", why);
		skip();
	}
}

static struct sockpath_spec spec_for(const char *path, mode_t mode)
{
	return (struct sockpath_spec){
		.path = path, .uid = (uid_t)-1, .gid = (gid_t)-1, .mode = mode};
}

static int connect_to(const char *path)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0), r;

	assert_true(fd >= 0);
	snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", path);
	r = connect(fd, (struct sockaddr *)&addr, sizeof(addr));
	if (r < 0) {
		r = -errno;
		close(fd);
		return r;
	}
	return fd;
}

/* A socket bound at @path; listening if @backlog >= 0. */
static int bind_at(const char *path, int backlog)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	assert_true(strlen(path) < sizeof(addr.sun_path));
	memcpy(addr.sun_path, path, strlen(path) + 1);
	assert_int_equal(bind(fd, (struct sockaddr *)&addr, sizeof(addr)), 0);
	if (backlog >= 0)
		assert_int_equal(listen(fd, backlog), 0);
	return fd;
}

/*
 * The node is live: a client connects and the listener accepts it. The name bound is @path
 * itself, as ss(8), lsof and the client's getpeername(2) show it, not the node's basename.
 */
static void assert_listening(const struct sockpath *sp, const char *path)
{
	struct sockaddr_un peer;
	socklen_t len = sizeof(peer);
	int c = connect_to(path), a;

	assert_true(c >= 0);
	a = accept4(sp->fd, NULL, NULL, SOCK_CLOEXEC);
	assert_true(a >= 0);
	assert_int_equal(getpeername(c, (struct sockaddr *)&peer, &len), 0);
	assert_string_equal(peer.sun_path, path);
	close(a);
	close(c);
}

static void close_and_remove(struct sockpath *sp, const char *path)
{
	struct stat st;

	assert_int_equal(sockpath_remove(sp), 0);
	assert_int_equal(sp->dir_fd, -1);
	assert_int_equal(lstat(path, &st), -1);
	assert_int_equal(errno, ENOENT);
	close(sp->fd);
}

static void new_node_has_exact_mode(void **state)
{
	static const mode_t modes[] = {0600, 0660, 0666, 0, 0640, 0777};
	static const mode_t umasks[] = {0, 022, 077, 0777};
	struct fixture *f = *state;

	for (size_t u = 0; u < sizeof(umasks) / sizeof(umasks[0]); u++) {
		for (size_t m = 0; m < sizeof(modes) / sizeof(modes[0]); m++) {
			struct sockpath_spec spec = spec_for(f->path, modes[m]);
			struct sockpath sp;
			struct stat st;
			char err[512] = "";

			umask(umasks[u]);
			assert_int_equal(sockpath_listen(&spec, &sp, err, sizeof(err)), 0);
			/* The umask the caller had is back. */
			assert_int_equal(umask(umasks[u]), umasks[u]);
			assert_int_equal(lstat(f->path, &st), 0);
			assert_true(S_ISSOCK(st.st_mode));
			assert_int_equal(st.st_mode & 07777, modes[m]);
			assert_int_equal(st.st_uid, geteuid());
			assert_int_equal(st.st_gid, getegid());
			assert_int_equal(st.st_dev, sp.dev);
			assert_int_equal(st.st_ino, sp.ino);
			assert_string_equal(sp.base, "sock");
			if (geteuid() == 0 || (modes[m] & 0200))
				assert_listening(&sp, f->path);
			close_and_remove(&sp, f->path);
		}
	}
}

static void owner_and_group_as_root(void **state)
{
	struct fixture *f = *state;
	struct sockpath_spec spec = {.path = f->path, .uid = 4242, .gid = 4343, .mode = 0660};
	struct sockpath sp;
	struct stat st;
	char err[512] = "";

	skip_unless_root("setting the owner of the node");
	umask(0);
	assert_int_equal(sockpath_listen(&spec, &sp, err, sizeof(err)), 0);
	assert_int_equal(lstat(f->path, &st), 0);
	assert_int_equal(st.st_uid, 4242);
	assert_int_equal(st.st_gid, 4343);
	assert_int_equal(st.st_mode & 07777, 0660);
	assert_listening(&sp, f->path);
	close_and_remove(&sp, f->path);

	/* The group alone. */
	spec = (struct sockpath_spec){.path = f->path, .uid = (uid_t)-1, .gid = 4343, .mode = 0};
	assert_int_equal(sockpath_listen(&spec, &sp, err, sizeof(err)), 0);
	assert_int_equal(lstat(f->path, &st), 0);
	assert_int_equal(st.st_uid, 0);
	assert_int_equal(st.st_gid, 4343);
	assert_int_equal(st.st_mode & 07777, 0);
	close_and_remove(&sp, f->path);
}

/* Refused with SOCKPATH_E_NOT_SOCKET, nothing changed, and only the test's @extra_fds open. */
static void assert_refused_untouched(struct fixture *f, const char *kind, int extra_fds)
{
	struct sockpath_spec spec = spec_for(f->path, 0600);
	struct sockpath sp;
	struct stat before, after;
	char err[512] = "";

	assert_int_equal(lstat(f->path, &before), 0);
	assert_int_equal(sockpath_listen(&spec, &sp, err, sizeof(err)), SOCKPATH_E_NOT_SOCKET);
	assert_non_null(strstr(err, f->path));
	assert_non_null(strstr(err, kind));
	assert_int_equal(sp.fd, -1);
	assert_int_equal(sp.dir_fd, -1);
	assert_int_equal(lstat(f->path, &after), 0);
	assert_int_equal(after.st_ino, before.st_ino);
	assert_int_equal(after.st_mode, before.st_mode);
	assert_int_equal(after.st_size, before.st_size);
	assert_int_equal(count_fds(), f->nfds + extra_fds);
}

static void write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

static void assert_file_is(const char *path, const char *text)
{
	char buf[256];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	assert_true(fd >= 0);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	assert_true(n >= 0);
	buf[n] = '\0';
	assert_string_equal(buf, text);
}

static void refuses_anything_but_a_socket(void **state)
{
	struct fixture *f = *state;
	char target[160], subdir[160];
	struct stat st;

	/* A regular file. */
	write_file(f->path, "precious\n");
	assert_refused_untouched(f, "a regular file", 0);
	assert_file_is(f->path, "precious\n");
	assert_int_equal(unlink(f->path), 0);

	/* A directory, with something inside. */
	assert_int_equal(mkdir(f->path, 0700), 0);
	snprintf(subdir, sizeof(subdir), "%s/inside", f->path);
	write_file(subdir, "x");
	assert_refused_untouched(f, "a directory", 0);
	assert_file_is(subdir, "x");
	assert_int_equal(unlink(subdir), 0);
	assert_int_equal(rmdir(f->path), 0);

	/* A symlink to a file: neither the link nor its target is touched. */
	snprintf(target, sizeof(target), "%s/target", f->dir);
	write_file(target, "target\n");
	assert_int_equal(symlink(target, f->path), 0);
	assert_refused_untouched(f, "a symbolic link", 0);
	assert_file_is(target, "target\n");
	assert_int_equal(unlink(f->path), 0);

	/* A dangling symlink: bind(2) would create its target; nothing is created. */
	assert_int_equal(unlink(target), 0);
	assert_int_equal(symlink(target, f->path), 0);
	assert_refused_untouched(f, "a symbolic link", 0);
	assert_int_equal(lstat(target, &st), -1);
	assert_int_equal(errno, ENOENT);
	assert_int_equal(unlink(f->path), 0);

	/* A symlink to a live socket elsewhere. */
	{
		int l = bind_at(target, 1);
		assert_int_equal(symlink(target, f->path), 0);
		assert_refused_untouched(f, "a symbolic link", 1);
		close(l);
		assert_int_equal(unlink(f->path), 0);
		assert_int_equal(unlink(target), 0);
	}

	/* A FIFO. */
	assert_int_equal(mkfifo(f->path, 0600), 0);
	assert_refused_untouched(f, "a FIFO", 0);
}

static void refuses_a_path_naming_a_directory(void **state)
{
	struct fixture *f = *state;
	char path[160], err[512] = "";
	struct sockpath_spec spec = spec_for(path, 0600);
	struct sockpath sp;

	snprintf(path, sizeof(path), "%s/", f->dir);
	assert_int_equal(sockpath_listen(&spec, &sp, err, sizeof(err)), SOCKPATH_E_NOT_SOCKET);
	snprintf(path, sizeof(path), "%s/..", f->dir);
	assert_int_equal(sockpath_listen(&spec, &sp, err, sizeof(err)), SOCKPATH_E_NOT_SOCKET);
	assert_int_equal(count_fds(), f->nfds);
}

static void refuses_a_path_too_long(void **state)
{
	struct fixture *f = *state;
	char path[200], err[512] = "";
	struct sockpath_spec spec = spec_for(path, 0600);
	struct sockpath sp;

	memset(path, 'a', sizeof(path));
	memcpy(path, f->dir, strlen(f->dir));
	path[strlen(f->dir)] = '/';
	path[108] = '\0';
	assert_int_equal(sockpath_listen(&spec, &sp, err, sizeof(err)), SOCKPATH_E_CREATE);
	assert_non_null(strstr(err, "too long"));
	assert_int_equal(count_fds(), f->nfds);
}

static void stale_socket_is_replaced(void **state)
{
	struct fixture *f = *state;
	struct sockpath_spec spec = spec_for(f->path, 0600);
	struct sockpath sp;
	char err[512] = "";
	int old;

	/* Bound, never listened, closed: what a crashed server leaves behind. */
	close(bind_at(f->path, -1));
	assert_int_equal(connect_to(f->path), -ECONNREFUSED);
	assert_int_equal(sockpath_listen(&spec, &sp, err, sizeof(err)), 0);
	assert_listening(&sp, f->path);
	close_and_remove(&sp, f->path);

	/* Bound and still open but not listening refuses connect(2) too: stale as well. */
	old = bind_at(f->path, -1);
	assert_int_equal(sockpath_listen(&spec, &sp, err, sizeof(err)), 0);
	assert_listening(&sp, f->path);
	close_and_remove(&sp, f->path);
	close(old);

	/* Listened once, then closed. */
	close(bind_at(f->path, 1));
	assert_int_equal(sockpath_listen(&spec, &sp, err, sizeof(err)), 0);
	assert_listening(&sp, f->path);
	close_and_remove(&sp, f->path);
}

static void live_listener_is_in_use(void **state)
{
	struct fixture *f = *state;
	struct sockpath_spec spec = spec_for(f->path, 0600);
	struct sockpath sp;
	struct stat before, after;
	char err[512] = "";
	int l = bind_at(f->path, 8), c, a;

	assert_int_equal(lstat(f->path, &before), 0);
	assert_int_equal(sockpath_listen(&spec, &sp, err, sizeof(err)), SOCKPATH_E_IN_USE);
	assert_non_null(strstr(err, f->path));
	assert_non_null(strstr(err, "already in use"));
	assert_int_equal(sp.fd, -1);
	assert_int_equal(lstat(f->path, &after), 0);
	assert_int_equal(after.st_ino, before.st_ino);
	assert_int_equal(after.st_mode, before.st_mode);
	/* The other server still gets its clients (the probe is in its queue first). */
	c = connect_to(f->path);
	assert_true(c >= 0);
	a = accept4(l, NULL, NULL, SOCK_CLOEXEC);
	assert_true(a >= 0);
	close(a);
	a = accept4(l, NULL, NULL, SOCK_CLOEXEC);
	assert_true(a >= 0);
	close(a);
	close(c);
	close(l);
	assert_int_equal(count_fds(), f->nfds);
}

static void unsafe_dir_world_writable(void **state)
{
	struct fixture *f = *state;
	struct sockpath_spec spec = spec_for(f->path, 0600);
	struct sockpath sp;
	struct stat st;
	char err[512] = "", owner[64], want[160], sub[160];

	nss_user_name(geteuid(), owner, sizeof(owner));
	assert_int_equal(chmod(f->dir, 0777), 0);
	assert_int_equal(sockpath_listen(&spec, &sp, err, sizeof(err)), SOCKPATH_E_UNSAFE_DIR);
	snprintf(want, sizeof(want), "%s: unsafe directory", f->dir);
	assert_non_null(strstr(err, want));
	snprintf(want, sizeof(want), "owner %s, mode 0777", owner);
	assert_non_null(strstr(err, want));
	assert_non_null(strstr(err, "writable by others without the sticky bit"));
	assert_int_equal(lstat(f->path, &st), -1);
	assert_int_equal(count_fds(), f->nfds);

	/* Writable by the group is as unsafe. */
	assert_int_equal(chmod(f->dir, 0770), 0);
	assert_int_equal(sockpath_check_dirs(f->dir, geteuid(), err, sizeof(err)),
			 SOCKPATH_E_UNSAFE_DIR);
	assert_non_null(strstr(err, "mode 0770"));

	/* A safe directory below an unsafe one: the unsafe one is named. */
	assert_int_equal(chmod(f->dir, 0777), 0);
	snprintf(sub, sizeof(sub), "%s/sub", f->dir);
	assert_int_equal(mkdir(sub, 0700), 0);
	assert_int_equal(sockpath_check_dirs(sub, geteuid(), err, sizeof(err)),
			 SOCKPATH_E_UNSAFE_DIR);
	snprintf(want, sizeof(want), "%s: unsafe", f->dir);
	assert_non_null(strstr(err, want));
	assert_int_equal(rmdir(sub), 0);
}

static void sticky_dir_is_accepted(void **state)
{
	struct fixture *f = *state;
	struct sockpath_spec spec = spec_for(f->path, 0600);
	struct sockpath sp;
	char err[512] = "";

	skip_unless_root("a root-owned sticky directory");
	assert_int_equal(chmod(f->dir, 01777), 0);
	assert_int_equal(sockpath_check_dirs(f->dir, 4242, err, sizeof(err)), 0);
	assert_int_equal(sockpath_listen(&spec, &sp, err, sizeof(err)), 0);
	assert_listening(&sp, f->path);
	close_and_remove(&sp, f->path);
}

static void unsafe_dir_other_owner(void **state)
{
	struct fixture *f = *state;
	struct sockpath_spec spec = spec_for(f->path, 0600);
	struct sockpath sp;
	struct stat st;
	char err[512] = "", owner[64], want[256];

	skip_unless_root("giving the directory to another user");
	assert_int_equal(chown(f->dir, 4242, (gid_t)-1), 0);
	nss_user_name(4242, owner, sizeof(owner));
	assert_int_equal(sockpath_listen(&spec, &sp, err, sizeof(err)), SOCKPATH_E_UNSAFE_DIR);
	snprintf(want, sizeof(want), "%s: unsafe directory for the socket (owner %s, mode 0700)",
		 f->dir, owner);
	assert_non_null(strstr(err, want));
	assert_non_null(strstr(err, "owned by another user"));
	assert_int_equal(lstat(f->path, &st), -1);
	assert_int_equal(errno, ENOENT);
	assert_int_equal(count_fds(), f->nfds);
	/* The same directory is fine for the user who owns it. */
	assert_int_equal(sockpath_check_dirs(f->dir, 4242, err, sizeof(err)), 0);
}

/*
 * DIR/u belongs to another user and holds a link d -> DIR/safe, a directory root owns. The
 * kernel's path ends in a safe directory, but the user can re-point d whenever they like: the
 * path is refused, naming the directory that holds the link. A link in a trusted directory to
 * a trusted one is fine if root owns it, and the name bound is the path as given.
 */
static void symlink_in_untrusted_dir(void **state)
{
	struct fixture *f = *state;
	struct sockpath_spec spec;
	struct sockpath sp;
	struct stat st;
	char u[96], safe[96], link[128], sock[160], err[512] = "", want[256];

	skip_unless_root("giving the directory that holds the link to another user");
	snprintf(u, sizeof(u), "%s/u", f->dir);
	snprintf(safe, sizeof(safe), "%s/safe", f->dir);
	assert_int_equal(mkdir(u, 0755), 0);
	assert_int_equal(mkdir(safe, 0755), 0);
	snprintf(link, sizeof(link), "%s/d", u);
	assert_int_equal(symlink(safe, link), 0);
	assert_int_equal(lchown(link, 4242, 4242), 0);
	assert_int_equal(chown(u, 4242, 4242), 0);
	snprintf(sock, sizeof(sock), "%s/sock", link);
	spec = spec_for(sock, 0600);
	assert_int_equal(sockpath_listen(&spec, &sp, err, sizeof(err)), SOCKPATH_E_UNSAFE_DIR);
	snprintf(want, sizeof(want), "%s: unsafe directory for the socket", u);
	assert_non_null(strstr(err, want));
	assert_non_null(strstr(err, "owned by another user"));
	assert_int_equal(sockpath_check_dirs(link, 0, err, sizeof(err)), SOCKPATH_E_UNSAFE_DIR);
	snprintf(want, sizeof(want), "%s/sock", safe);
	assert_int_equal(lstat(want, &st), -1);
	assert_int_equal(count_fds(), f->nfds);

	/* In a directory only root may write, the link must be root's too (or the server's). */
	assert_int_equal(chown(u, 0, 0), 0);
	assert_int_equal(sockpath_listen(&spec, &sp, err, sizeof(err)), SOCKPATH_E_UNSAFE_DIR);
	snprintf(want, sizeof(want), "%s: unsafe symlink for the socket", link);
	assert_non_null(strstr(err, want));
	assert_int_equal(lchown(link, 0, 0), 0);
	assert_int_equal(sockpath_listen(&spec, &sp, err, sizeof(err)), 0);
	assert_listening(&sp, sock);
	close_and_remove(&sp, sock);
}

static void check_dirs_missing(void **state)
{
	struct fixture *f = *state;
	char path[160], err[512] = "";

	snprintf(path, sizeof(path), "%s/nonexistent", f->dir);
	assert_int_equal(sockpath_check_dirs(path, geteuid(), err, sizeof(err)), SOCKPATH_E_CREATE);
	assert_non_null(strstr(err, path));
	assert_non_null(strstr(err, strerror(ENOENT)));

	/* sockpath_listen in it says the same. */
	{
		struct sockpath_spec spec;
		struct sockpath sp;
		char sock[200];

		snprintf(sock, sizeof(sock), "%s/sock", path);
		spec = spec_for(sock, 0600);
		assert_int_equal(sockpath_listen(&spec, &sp, err, sizeof(err)), SOCKPATH_E_CREATE);
	}
	assert_int_equal(count_fds(), f->nfds);
}

static void remove_only_our_node(void **state)
{
	struct fixture *f = *state;
	struct sockpath_spec spec = spec_for(f->path, 0600);
	struct sockpath sp;
	struct stat before, after;
	char err[512] = "";
	int other, c, a;

	/* Another server took the path over: unlink ours, bind theirs. */
	assert_int_equal(sockpath_listen(&spec, &sp, err, sizeof(err)), 0);
	assert_int_equal(unlink(f->path), 0);
	other = bind_at(f->path, 4);
	assert_int_equal(lstat(f->path, &before), 0);
	assert_int_equal(sockpath_remove(&sp), SOCKPATH_E_NOT_OURS);
	assert_int_equal(sp.dir_fd, -1);
	assert_int_equal(lstat(f->path, &after), 0);
	assert_int_equal(after.st_ino, before.st_ino);
	c = connect_to(f->path);
	assert_true(c >= 0);
	a = accept4(other, NULL, NULL, SOCK_CLOEXEC);
	assert_true(a >= 0);
	close(a);
	close(c);
	close(other);
	close(sp.fd);
	assert_int_equal(unlink(f->path), 0);

	/* A regular file put in its place is left alone too. */
	assert_int_equal(sockpath_listen(&spec, &sp, err, sizeof(err)), 0);
	assert_int_equal(unlink(f->path), 0);
	write_file(f->path, "mine\n");
	assert_int_equal(sockpath_remove(&sp), SOCKPATH_E_NOT_OURS);
	assert_file_is(f->path, "mine\n");
	close(sp.fd);
	assert_int_equal(unlink(f->path), 0);

	/* Gone already: not ours to remove, and no error. */
	assert_int_equal(sockpath_listen(&spec, &sp, err, sizeof(err)), 0);
	assert_int_equal(unlink(f->path), 0);
	assert_int_equal(sockpath_remove(&sp), SOCKPATH_E_NOT_OURS);
	/* A second remove is harmless. */
	assert_int_equal(sockpath_remove(&sp), SOCKPATH_E_NOT_OURS);
	close(sp.fd);

	/* Still ours: removed. */
	assert_int_equal(sockpath_listen(&spec, &sp, err, sizeof(err)), 0);
	close_and_remove(&sp, f->path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(new_node_has_exact_mode, setup, teardown),
		cmocka_unit_test_setup_teardown(owner_and_group_as_root, setup, teardown),
		cmocka_unit_test_setup_teardown(refuses_anything_but_a_socket, setup, teardown),
		cmocka_unit_test_setup_teardown(refuses_a_path_naming_a_directory, setup, teardown),
		cmocka_unit_test_setup_teardown(refuses_a_path_too_long, setup, teardown),
		cmocka_unit_test_setup_teardown(stale_socket_is_replaced, setup, teardown),
		cmocka_unit_test_setup_teardown(live_listener_is_in_use, setup, teardown),
		cmocka_unit_test_setup_teardown(unsafe_dir_world_writable, setup, teardown),
		cmocka_unit_test_setup_teardown(sticky_dir_is_accepted, setup, teardown),
		cmocka_unit_test_setup_teardown(unsafe_dir_other_owner, setup, teardown),
		cmocka_unit_test_setup_teardown(symlink_in_untrusted_dir, setup, teardown),
		cmocka_unit_test_setup_teardown(check_dirs_missing, setup, teardown),
		cmocka_unit_test_setup_teardown(remove_only_our_node, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

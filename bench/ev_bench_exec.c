/* ev_bench_exec: run a command once and print what it cost, for bench/run:
 *
 *   ev_bench_exec CMD [ARG]...
 *   -> "wall_us=W cpu_us=C maxrss_kb=M status=S" on stdout
 *   ev_bench_exec --read-counters SYSFS_ROOT [NAME]...
 *   -> the floor: only open+read+close of each counter file a snapshot
 *      reads, printing how many: the port counters NAME... of every RDMA
 *      device, a NAME with a '/' a path under the device's directory
 *      (hw_counters/reg_mr_err; with no NAME, every hw_counters file but
 *      lifespan) and the ENA interfaces' tx/rx_bytes. Run as CMD of another ev_bench_exec, it
 *      is the cost of the reads themselves plus the exec of a small C
 *      program, with nothing else.
 *
 * The command's stdin, stdout and stderr are /dev/null. cpu is user+sys and
 * maxrss the peak RSS, both from wait4 on the child, which covers the child
 * and every descendant it waited for.
 *
 * Why a C helper rather than python's os.wait4: a child's ru_maxrss starts
 * from the RSS of the process it was forked (or vforked) from, since exec
 * folds the old address space's high-water mark into it. Spawned from
 * python that floor is python's ~20 MiB, which would swamp a small C
 * program's real peak; spawned from this helper it is well under 1 MiB. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long long now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static long long tv_us(struct timeval tv)
{
	return (long long)tv.tv_sec * 1000000 + tv.tv_usec;
}

/* open, one read, close; 1 if it was read. */
static int read_one(int dirfd, const char *name)
{
	char buf[64];
	int f = openat(dirfd, name, O_RDONLY | O_CLOEXEC), ok;

	if (f < 0)
		return 0;
	ok = read(f, buf, sizeof(buf)) >= 0;
	close(f);
	return ok;
}

/* The named files in dirfd/sub, or with no names every file there but
 * lifespan; how many were read. */
static int read_dir(int dirfd, const char *sub, char **names, int n_names)
{
	int fd = openat(dirfd, sub, O_RDONLY | O_DIRECTORY | O_CLOEXEC), n = 0;
	struct dirent *de;
	DIR *d;

	if (fd < 0)
		return 0;
	if (n_names) {
		for (int i = 0; i < n_names; i++)
			n += read_one(fd, names[i]);
		close(fd);
		return n;
	}
	if (!(d = fdopendir(fd))) {
		close(fd);
		return 0;
	}
	while ((de = readdir(d)))
		if (de->d_name[0] != '.' && strcmp(de->d_name, "lifespan") != 0)
			n += read_one(fd, de->d_name);
	closedir(d);
	return n;
}

static int read_counters(const char *root, char **names, int n_names)
{
	char path[4096];
	struct dirent *de;
	int n = 0, ib, n_port = 0, n_paths = 0;
	char *port[256], *paths[256];
	DIR *d;

	for (int i = 0; i < n_names && i < 256; i++) {
		if (strchr(names[i], '/'))
			paths[n_paths++] = names[i];
		else
			port[n_port++] = names[i];
	}

	snprintf(path, sizeof(path), "%s/class/infiniband", root);
	if ((ib = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0 || !(d = fdopendir(dup(ib))))
		return 1;
	while ((de = readdir(d))) {
		int dev;

		if (de->d_name[0] == '.' || (dev = openat(ib, de->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
			continue;
		n += read_dir(dev, "ports/1/hw_counters", port, n_port);
		for (int i = 0; i < n_paths; i++)
			n += read_one(dev, paths[i]);
		if (!n_names)
			n += read_dir(dev, "hw_counters", NULL, 0);
		close(dev);
	}
	closedir(d);
	snprintf(path, sizeof(path), "%s/class/net", root);
	if ((ib = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0 && (d = fdopendir(ib))) {
		while ((de = readdir(d))) {
			char link[256];
			ssize_t l;
			int net;

			snprintf(path, sizeof(path), "%s/device/driver", de->d_name);
			l = readlinkat(ib, path, link, sizeof(link) - 1);
			if (l < 4 || memcmp(link + l - 4, "/ena", 4) != 0)
				continue;
			snprintf(path, sizeof(path), "%s/statistics", de->d_name);
			if ((net = openat(ib, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
				continue;
			n += read_one(net, "tx_bytes") + read_one(net, "rx_bytes");
			close(net);
		}
		closedir(d);
	}
	printf("%d\n", n);
	return 0;
}

int main(int argc, char **argv)
{
	struct rusage ru;
	long long t0, t1;
	int status, null;
	pid_t pid;

	if (argc >= 3 && strcmp(argv[1], "--read-counters") == 0)
		return read_counters(argv[2], argv + 3, argc - 3);
	if (argc < 2) {
		fprintf(stderr, "usage: ev_bench_exec CMD [ARG]... | --read-counters SYSFS_ROOT [NAME]...\n");
		return 2;
	}
	null = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null < 0) {
		perror("ev_bench_exec: /dev/null");
		return 2;
	}
	fflush(stdout);
	t0 = now_us();
	pid = fork();
	if (pid < 0) {
		perror("ev_bench_exec: fork");
		return 2;
	}
	if (pid == 0) {
		dup2(null, 0);
		dup2(null, 1);
		dup2(null, 2);
		execv(argv[1], argv + 1);
		_exit(127);
	}
	while (wait4(pid, &status, 0, &ru) < 0) {
		if (errno != EINTR) {
			perror("ev_bench_exec: wait4");
			return 2;
		}
	}
	t1 = now_us();
	printf("wall_us=%lld cpu_us=%lld maxrss_kb=%ld status=%d\n", t1 - t0,
	       tv_us(ru.ru_utime) + tv_us(ru.ru_stime), ru.ru_maxrss,
	       WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
	return 0;
}

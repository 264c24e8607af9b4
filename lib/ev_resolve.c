#include "ev_resolve.h"

#include <errno.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

static void release(struct gaicb *reqs, size_t n)
{
	for (size_t i = 0; reqs && i < n; i++)
		free((char *)reqs[i].ar_name);
	free(reqs);
}

static long ms_left(const struct timespec *deadline)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (deadline->tv_sec - now.tv_sec) * 1000 + (deadline->tv_nsec - now.tv_nsec) / 1000000;
}

int ev_resolve_names(char *const *names, size_t n, long timeout_ms, struct ev_jobnet_peers *out, bool *resolved,
		     struct ev_err *err)
{
	static const struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM };
	struct gaicb *reqs, **list;
	struct timespec deadline;
	size_t pending = n;
	bool ok;
	int rc = 0;

	for (size_t i = 0; i < n; i++)
		resolved[i] = false;
	if (!n)
		return 0;
	reqs = calloc(n, sizeof(*reqs));
	list = calloc(n, sizeof(*list));
	ok = reqs && list;
	for (size_t i = 0; ok && i < n; i++) {
		/* A copy: a lookup that outlives the time (below) keeps its
		 * name, whatever the caller frees. */
		reqs[i].ar_name = strdup(names[i]);
		reqs[i].ar_request = &hints;
		list[i] = &reqs[i];
		ok = reqs[i].ar_name != NULL;
	}
	if (!ok) {
		release(reqs, n);
		free(list);
		return ev_errf(err, -ENOMEM, "out of memory");
	}
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += timeout_ms / 1000;
	deadline.tv_nsec += (timeout_ms % 1000) * 1000000;
	if (deadline.tv_nsec >= 1000000000) {
		deadline.tv_sec++;
		deadline.tv_nsec -= 1000000000;
	}
	if (getaddrinfo_a(GAI_NOWAIT, list, (int)n, NULL) != 0) {
		release(reqs, n);
		free(list);
		return ev_errf(err, -EAGAIN, "cannot start name lookups");
	}
	while (pending) {
		long left = ms_left(&deadline);
		struct timespec ts = { left / 1000, (left % 1000) * 1000000 };
		int s;

		if (left <= 0)
			break;
		s = gai_suspend((const struct gaicb *const *)list, (int)n, &ts);
		if (s == EAI_AGAIN)
			break;
		pending = 0;
		for (size_t i = 0; i < n; i++)
			if (list[i] && gai_error(list[i]) == EAI_INPROGRESS)
				pending++;
	}
	for (size_t i = 0; i < n; i++) {
		int e = gai_error(&reqs[i]);

		if (e == EAI_INPROGRESS && gai_cancel(&reqs[i]) != EAI_CANCELED)
			continue;
		if (e != 0)
			continue;
		for (struct addrinfo *a = reqs[i].ar_result; a && !rc; a = a->ai_next) {
			if (a->ai_family == AF_INET)
				rc = ev_jobnet_peers_add(out, AF_INET,
							 &((struct sockaddr_in *)(void *)a->ai_addr)->sin_addr, err);
			else if (a->ai_family == AF_INET6)
				rc = ev_jobnet_peers_add(out, AF_INET6,
							 &((struct sockaddr_in6 *)(void *)a->ai_addr)->sin6_addr, err);
			else
				continue;
			resolved[i] = true;
		}
		freeaddrinfo(reqs[i].ar_result);
		reqs[i].ar_result = NULL;
	}
	/* A lookup still running when the time was up cannot be cancelled
	 * (glibc's worker thread holds its gaicb): the requests are left to
	 * it, and freed with the process, which ends soon. */
	for (size_t i = 0; i < n; i++)
		if (gai_error(&reqs[i]) == EAI_INPROGRESS) {
			free(list);
			return rc;
		}
	release(reqs, n);
	free(list);
	return rc;
}

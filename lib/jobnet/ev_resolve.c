#include "jobnet/ev_resolve.h"

#include <errno.h>
#include <netdb.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

/* Names are looked up by worker threads of our own, one per
 * NAMES_PER_WORKER names (at most MAX_WORKERS), while the caller waits
 * until they are done or the time is up. Not getaddrinfo_a: it starts a
 * thread per name, which doubled the cost of a prolog, and its
 * gai_suspend (glibc 2.36 at least) leaves its on-stack wait entry on a
 * request whose result is set but not yet announced, so the lookup's
 * thread then writes into a stack frame that is gone (a crash of one
 * prolog in forty). A lookup still running when the time is up keeps
 * the shared state alive; the last one out frees it. */
#define NAMES_PER_WORKER 64
#define MAX_WORKERS 8

struct lookups {
	pthread_mutex_t mu;
	pthread_cond_t done_cv;
	size_t n, next, done;
	unsigned refs;            /* workers running, and the caller until it leaves */
	bool abandoned;           /* the caller left: take no more names */
	char **names;             /* copies */
	struct addrinfo **res;    /* res[i]: names[i]'s answer, NULL if none */
	bool *finished;
};

static void lookups_free(struct lookups *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->names[i]);
		if (l->res[i])
			freeaddrinfo(l->res[i]);
	}
	free(l->names);
	free(l->res);
	free(l->finished);
	pthread_cond_destroy(&l->done_cv);
	pthread_mutex_destroy(&l->mu);
	free(l);
}

/* Drop one reference; the last frees. Called with mu held. */
static void unref_locked(struct lookups *l)
{
	bool last = --l->refs == 0;

	pthread_mutex_unlock(&l->mu);
	if (last)
		lookups_free(l);
}

static void *worker(void *arg)
{
	static const struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM };
	struct lookups *l = arg;

	pthread_mutex_lock(&l->mu);
	while (!l->abandoned && l->next < l->n) {
		size_t i = l->next++;
		struct addrinfo *r = NULL;

		pthread_mutex_unlock(&l->mu);
		if (getaddrinfo(l->names[i], NULL, &hints, &r) != 0)
			r = NULL;
		pthread_mutex_lock(&l->mu);
		l->res[i] = r;
		l->finished[i] = true;
		l->done++;
		pthread_cond_signal(&l->done_cv);
	}
	unref_locked(l);
	return NULL;
}

static struct lookups *lookups_new(char *const *names, size_t n)
{
	struct lookups *l = calloc(1, sizeof(*l));
	pthread_condattr_t ca;

	if (!l)
		return NULL;
	l->n = n;
	l->names = calloc(n, sizeof(*l->names));
	l->res = calloc(n, sizeof(*l->res));
	l->finished = calloc(n, sizeof(*l->finished));
	pthread_mutex_init(&l->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&l->done_cv, &ca);
	pthread_condattr_destroy(&ca);
	for (size_t i = 0; l->names && i < n; i++)
		if (!(l->names[i] = strdup(names[i])))
			break;
	if (!l->names || !l->res || !l->finished || (n && !l->names[n - 1])) {
		l->n = l->names ? n : 0;
		lookups_free(l);
		return NULL;
	}
	return l;
}

int ev_resolve_names_each(char *const *names, size_t n, long timeout_ms, ev_resolve_fn fn, void *ctx,
			  bool *resolved, struct ev_err *err)
{
	struct lookups *l;
	struct timespec deadline;
	pthread_attr_t attr;
	size_t workers;
	int rc = 0;

	for (size_t i = 0; i < n; i++)
		resolved[i] = false;
	if (!n)
		return 0;
	if (!(l = lookups_new(names, n)))
		return ev_errf(err, -ENOMEM, "out of memory");
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += timeout_ms / 1000;
	deadline.tv_nsec += (timeout_ms % 1000) * 1000000;
	if (deadline.tv_nsec >= 1000000000) {
		deadline.tv_sec++;
		deadline.tv_nsec -= 1000000000;
	}
	workers = (n + NAMES_PER_WORKER - 1) / NAMES_PER_WORKER;
	if (workers > MAX_WORKERS)
		workers = MAX_WORKERS;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_mutex_lock(&l->mu);
	l->refs = 1;
	for (size_t w = 0; w < workers; w++) {
		pthread_t t;

		l->refs++;
		if (pthread_create(&t, &attr, worker, l) != 0) {
			l->refs--;
			break;
		}
	}
	pthread_attr_destroy(&attr);
	if (l->refs == 1) {
		l->abandoned = true;
		unref_locked(l);
		return ev_errf(err, -EAGAIN, "cannot start name lookups");
	}
	while (l->done < l->n && pthread_cond_timedwait(&l->done_cv, &l->mu, &deadline) == 0)
		;
	/* What has an answer now; the rest counts as not resolved. */
	for (size_t i = 0; i < n && !rc; i++) {
		if (!l->finished[i])
			continue;
		for (struct addrinfo *a = l->res[i]; a && !rc; a = a->ai_next) {
			if (a->ai_family == AF_INET)
				rc = fn(ctx, i, AF_INET, &((struct sockaddr_in *)(void *)a->ai_addr)->sin_addr, err);
			else if (a->ai_family == AF_INET6)
				rc = fn(ctx, i, AF_INET6, &((struct sockaddr_in6 *)(void *)a->ai_addr)->sin6_addr,
					err);
			else
				continue;
			resolved[i] = true;
		}
	}
	l->abandoned = true;
	unref_locked(l);
	return rc;
}

static int add_to_peers(void *ctx, size_t i, int family, const void *addr, struct ev_err *err)
{
	(void)i;
	return ev_jobnet_peers_add(ctx, family, addr, err);
}

int ev_resolve_names(char *const *names, size_t n, long timeout_ms, struct ev_jobnet_peers *out, bool *resolved,
		     struct ev_err *err)
{
	return ev_resolve_names_each(names, n, timeout_ms, add_to_peers, out, resolved, err);
}

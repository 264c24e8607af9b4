/* The job's peer addresses: the set the job's nftables table counts
 * against, made safe first (no loopback, no address of this node's own),
 * apart from the table itself so that each file holds one concern. */
#include "jobnet/ev_jobnet.h"

#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <net/if_arp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int grow(void **v, size_t *cap, size_t n, size_t size)
{
	void *nv;
	size_t nc;

	if (n < *cap)
		return 0;
	nc = *cap ? *cap * 2 : 8;
	if (nc > ((size_t)1 << 20) || !(nv = realloc(*v, nc * size)))
		return -ENOMEM;
	*v = nv;
	*cap = nc;
	return 0;
}

int ev_jobnet_peers_add(struct ev_jobnet_peers *p, int family, const void *addr, struct ev_err *err)
{
	if (family == AF_INET) {
		if (grow((void **)&p->v4, &p->cap4, p->n4, sizeof(*p->v4)))
			return ev_errf(err, -ENOMEM, "out of memory");
		memcpy(&p->v4[p->n4++], addr, sizeof(*p->v4));
		return 0;
	}
	if (family == AF_INET6) {
		if (grow((void **)&p->v6, &p->cap6, p->n6, sizeof(*p->v6)))
			return ev_errf(err, -ENOMEM, "out of memory");
		memcpy(&p->v6[p->n6++], addr, sizeof(*p->v6));
		return 0;
	}
	return ev_errf(err, -EAFNOSUPPORT, "address family %d is not IP", family);
}

int ev_jobnet_peers_add_text(struct ev_jobnet_peers *p, const char *text, struct ev_err *err)
{
	struct in6_addr a6;
	struct in_addr a4;

	if (inet_pton(AF_INET, text, &a4) == 1)
		return ev_jobnet_peers_add(p, AF_INET, &a4, err);
	if (inet_pton(AF_INET6, text, &a6) == 1)
		return ev_jobnet_peers_add(p, AF_INET6, &a6, err);
	return ev_errf(err, -EINVAL, "'%.64s' is not an IP address", text);
}

void ev_jobnet_peers_free(struct ev_jobnet_peers *p)
{
	free(p->v4);
	free(p->v6);
	memset(p, 0, sizeof(*p));
}

static int cmp4(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(struct in_addr));
}

static int cmp6(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(struct in6_addr));
}

static size_t uniq(void *v, size_t n, size_t size, int (*cmp)(const void *, const void *))
{
	char *p = v;
	size_t m = 0;

	if (!n)
		return 0;
	qsort(v, n, size, cmp);
	for (size_t i = 1; i < n; i++)
		if (cmp(p + m * size, p + i * size) != 0)
			memmove(p + ++m * size, p + i * size, size);
	return m + 1;
}

static const char *why4(const struct in_addr *a)
{
	uint32_t h = ntohl(a->s_addr);

	if ((h >> 24) == 127)
		return "a loopback address";
	if (h == 0)
		return "the unspecified address";
	if ((h >> 28) == 0xe || h == 0xffffffffu)
		return "a multicast or broadcast address";
	return NULL;
}

static const char *why6(const struct in6_addr *a)
{
	if (IN6_IS_ADDR_LOOPBACK(a))
		return "a loopback address";
	if (IN6_IS_ADDR_UNSPECIFIED(a))
		return "the unspecified address";
	if (IN6_IS_ADDR_MULTICAST(a))
		return "a multicast address";
	/* ::ffff:a.b.c.d never appears on the wire as IPv6. */
	if (IN6_IS_ADDR_V4MAPPED(a))
		return "an IPv4-mapped address";
	return NULL;
}

/* One family's sorted peers v[n] against this node's own sorted addresses
 * own[n_own] of that family. */
static int check_family(int af, const void *v, size_t n, const void *own, size_t n_own, struct ev_err *err)
{
	size_t size = af == AF_INET ? sizeof(struct in_addr) : sizeof(struct in6_addr);
	char text[INET6_ADDRSTRLEN];

	for (size_t i = 0; i < n; i++) {
		const void *a = (const char *)v + i * size;
		const char *why = af == AF_INET ? why4(a) : why6(a);

		if (!why && n_own && bsearch(a, own, n_own, size, af == AF_INET ? cmp4 : cmp6))
			why = "one of this node's own addresses";
		if (why)
			return ev_errf(err, -EADDRNOTAVAIL, "peer address %s is %s: its traffic cannot be told apart",
				       inet_ntop(af, a, text, sizeof(text)), why);
	}
	return 0;
}

int ev_jobnet_peers_check(struct ev_jobnet_peers *p, const struct ev_jobnet_peers *local, struct ev_err *err)
{
	int rc;

	p->n4 = uniq(p->v4, p->n4, sizeof(*p->v4), cmp4);
	p->n6 = uniq(p->v6, p->n6, sizeof(*p->v6), cmp6);
	if ((rc = check_family(AF_INET, p->v4, p->n4, local ? local->v4 : NULL, local ? local->n4 : 0, err)))
		return rc;
	return check_family(AF_INET6, p->v6, p->n6, local ? local->v6 : NULL, local ? local->n6 : 0, err);
}

int ev_jobnet_local_addrs(struct ev_jobnet_peers *out, struct ev_err *err)
{
	struct ifaddrs *ifa, *i;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	if (getifaddrs(&ifa) != 0)
		return ev_errf(err, -errno, "getifaddrs: %s", strerror(errno));
	for (i = ifa; i && !rc; i = i->ifa_next) {
		if (!i->ifa_addr)
			continue;
		if (i->ifa_addr->sa_family == AF_INET)
			rc = ev_jobnet_peers_add(out, AF_INET, &((struct sockaddr_in *)(void *)i->ifa_addr)->sin_addr,
						 err);
		else if (i->ifa_addr->sa_family == AF_INET6)
			rc = ev_jobnet_peers_add(out, AF_INET6,
						 &((struct sockaddr_in6 *)(void *)i->ifa_addr)->sin6_addr, err);
	}
	freeifaddrs(ifa);
	out->n4 = uniq(out->v4, out->n4, sizeof(*out->v4), cmp4);
	out->n6 = uniq(out->v6, out->n6, sizeof(*out->v6), cmp6);
	if (rc)
		ev_jobnet_peers_free(out);
	return rc;
}

/* A node's Comment as the epilog writes it and the record's writer reads
 * it (ev_nodecomment with the MUNGE sealer of ev_seal), without Slurm, for
 * tests/integration/seal.sh:
 *
 *   seal_probe [-S SOCKET] [-r UID] [-c CONFIG] put JOB NODE VERDICT [COMMENT]
 *       the Comment with the result put in, as the config's node_comment
 *       says (default config: sealed), sealed for UID
 *   seal_probe [-S SOCKET] [-r UID] get JOB COMMENT
 *       the job's result line, opened as UID (root asks munged as UID)
 *   seal_probe [-S SOCKET] [-r UID] encode TTL PAYLOAD
 *   seal_probe [-S SOCKET] [-r UID] decode CREDENTIAL
 *       one credential (ev_munge), with the uid that made it
 *
 * Exit 0; 1 for get: no such job; 2 with the error on stderr, its errno
 * name first ("EACCES: ..."). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/ev_config.h"
#include "judge/ev_verdict.h"
#include "record/ev_nodecomment.h"
#include "record/ev_seal.h"
#include "util/ev_munge.h"

static const char *errname(int rc)
{
	switch (-rc) {
	case EACCES: return "EACCES";
	case EBADMSG: return "EBADMSG";
	case ECONNREFUSED: return "ECONNREFUSED";
	case ELIBACC: return "ELIBACC";
	case ENOENT: return "ENOENT";
	default: return "E?";
	}
}

static int fail(int rc, const struct ev_err *err)
{
	fprintf(stderr, "%s: %s\n", errname(rc), err->msg);
	return 2;
}

/* One command (argv[0]) into out (EV_NODECOMMENT_MAX bytes): the exit code. */
static int run(int argc, char **argv, struct ev_seal_munge *mu, const char *conf, char *out)
{
	struct ev_seal_munge m = *mu;
	struct ev_seal seal;
	struct ev_config cfg;
	struct ev_err err = { "" };
	int c, rc;

	ev_seal_munge(&seal, &m);
	if (strcmp(argv[0], "put") == 0 && (argc == 4 || argc == 5)) {
		struct ev_node_result r;

		memset(&r, 0, sizeof(r));
		r.jobid = (uint32_t)strtoul(argv[1], NULL, 10);
		snprintf(r.node, sizeof(r.node), "%s", argv[2]);
		if ((c = ev_verdict_from_name(argv[3])) < 0)
			return 2;
		r.verdict = (enum ev_verdict)c;
		if ((conf ? ev_config_load_file(&cfg, conf, &err) : ev_config_defaults(&cfg, &err)) != 0)
			return fail(-EINVAL, &err);
		r.efa_bytes = 123456789;
		r.tcp_bytes = 4242;
		r.job_nodes = 2;
		if (r.verdict != EV_V_OK)
			snprintf(r.reason, sizeof(r.reason), "tcp_bytes:4242/efa_bytes:123456789");
		rc = ev_nodecomment_put(argc == 5 ? argv[4] : "", &r,
					cfg.node_comment == EV_NODE_COMMENT_SEALED ? &seal : NULL, EV_NODECOMMENT_KEEP,
					out, EV_NODECOMMENT_MAX, &err);
		ev_config_free(&cfg);
		if (rc)
			return fail(rc, &err);
		printf("%s\n", out);
		return 0;
	}
	if (strcmp(argv[0], "get") == 0 && argc == 3) {
		struct ev_node_result r;

		rc = ev_nodecomment_get(argv[2], (uint32_t)strtoul(argv[1], NULL, 10), &seal, &r, &err);
		if (rc == -ENOENT)
			return 1;
		if (rc || (rc = ev_result_format(&r, out, EV_NODECOMMENT_MAX)))
			return fail(rc, &err);
		printf("%s\n", out);
		return 0;
	}
	if (strcmp(argv[0], "encode") == 0 && argc == 3) {
		if ((rc = ev_munge_encode(m.socket, argv[2], strlen(argv[2]), m.reader, atoi(argv[1]), out,
					  EV_NODECOMMENT_MAX, &err)))
			return fail(rc, &err);
		printf("%s\n", out);
		return 0;
	}
	if (strcmp(argv[0], "decode") == 0 && argc == 2) {
		size_t len;
		uid_t from;

		if ((rc = ev_munge_decode(m.socket, argv[1], m.reader, out, EV_NODECOMMENT_MAX, &len, &from, &err)))
			return fail(rc, &err);
		printf("uid=%u %s\n", (unsigned)from, out);
		return 0;
	}
	fprintf(stderr, "usage: see tests/seal_probe.c\n");
	return 2;
}

int main(int argc, char **argv)
{
	struct ev_seal_munge m = { .reader = 0, .socket = NULL };
	const char *conf = NULL;
	char *out;
	int c, rc;

	while ((c = getopt(argc, argv, "+S:r:c:")) != -1) {
		switch (c) {
		case 'S': m.socket = optarg; break;
		case 'r': m.reader = (uid_t)strtoul(optarg, NULL, 10); break;
		case 'c': conf = optarg; break;
		default: return 2;
		}
	}
	if (optind >= argc || !(out = malloc(EV_NODECOMMENT_MAX)))
		return 2;
	rc = run(argc - optind, argv + optind, &m, conf, out);
	free(out);
	return rc;
}

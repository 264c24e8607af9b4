#include "record/ev_containers.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "record/ev_value.h"

#define FINDING_PREFIX "container "
/* Kept free while images are laid out, for the last ";+4294967295_more". */
#define MORE_RESERVE (sizeof(";+4294967295_more") - 1)

_Static_assert(EV_CONTAINERS_FINDING_MAX <= EV_FINDINGS_LINE_MAX, "a container line must fit a findings line");
_Static_assert(EV_CONTAINERS_TEXT_MIN == sizeof("+4294967295_more"), "the least room for a count");

static uint32_t clamp32(uint64_t v)
{
	return v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
}

static bool all_digits(const char *s)
{
	return *s && strspn(s, "0123456789") == strlen(s);
}

/* [a-z0-9]+, a number without leading zeros: one step, one text. */
static bool valid_step(const char *s, size_t cap)
{
	size_t n = strnlen(s, cap);

	return n && n < cap && strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789") == n &&
	       !(all_digits(s) && s[0] == '0' && n > 1);
}

static bool valid_label(const char *s, size_t cap)
{
	size_t n = strnlen(s, cap);

	if (!n || n >= cap)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e)
			return false;
	return true;
}

/* Names first ("batch", "extern", "interactive"), then numbers by value. */
static int step_cmp(const char *a, const char *b)
{
	bool da = all_digits(a), db = all_digits(b);
	size_t la = strlen(a), lb = strlen(b);

	if (da != db)
		return da ? 1 : -1;
	if (da && la != lb)
		return la < lb ? -1 : 1;
	return strcmp(a, b);
}

int ev_containers_finding(const char *step, const char *image_label, char *out, size_t cap)
{
	char label[EV_CONTAINERS_LABEL_MAX], enc[3 * EV_CONTAINERS_LABEL_MAX];
	size_t n;
	int w;

	if (!step || !valid_step(step, EV_CONTAINERS_STEP_MAX) || !image_label || !*image_label)
		return -EINVAL;
	n = strlen(image_label);
	if (n < sizeof(label)) {
		memcpy(label, image_label, n + 1);
	} else {
		memcpy(label, "...", 3);
		memcpy(label + 3, image_label + n - (sizeof(label) - 4), sizeof(label) - 4 + 1);
	}
	/* Shown to people as it is decoded: never a control byte. */
	for (char *p = label; *p; p++)
		if ((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7e)
			*p = '?';
	ev_value_encode(label, enc, sizeof(enc));
	w = snprintf(out, cap, FINDING_PREFIX "%s %s", step, enc);
	return w < 0 || (size_t)w >= cap ? -ENAMETOOLONG : 0;
}

bool ev_containers_is_finding(const char *line)
{
	return strncmp(line, FINDING_PREFIX, strlen(FINDING_PREFIX)) == 0;
}

static bool decode_label(const char *s, size_t len, char *out)
{
	return ev_value_decode(s, len, out, EV_CONTAINERS_LABEL_MAX) == 0 && valid_label(out, EV_CONTAINERS_LABEL_MAX);
}

int ev_containers_finding_parse(const char *line, struct ev_containers *one, struct ev_err *err)
{
	struct ev_containers_image *im = &one->image[0];
	const char *step, *sp;

	memset(one, 0, sizeof(*one));
	if (!ev_containers_is_finding(line))
		return ev_errf(err, -EBADMSG, "container finding: not a container line");
	step = line + strlen(FINDING_PREFIX);
	sp = strchr(step, ' ');
	if (!sp || (size_t)(sp - step) >= sizeof(im->step[0]))
		goto bad;
	memcpy(im->step[0], step, (size_t)(sp - step));
	im->step[0][sp - step] = '\0';
	if (!valid_step(im->step[0], sizeof(im->step[0])) || !decode_label(sp + 1, strlen(sp + 1), im->label))
		goto bad;
	im->n_steps = 1;
	one->n = 1;
	return 0;
bad:
	memset(one, 0, sizeof(*one));
	return ev_errf(err, -EBADMSG, "container finding: not 'container STEP IMAGE': '%.48s'", line);
}

struct ref {
	const char *label;
	const struct ev_containers_image *im;
};

static int cmp_ref(const void *a, const void *b)
{
	return strcmp(((const struct ref *)a)->label, ((const struct ref *)b)->label);
}

static int cmp_step_p(const void *a, const void *b)
{
	return step_cmp(*(const char *const *)a, *(const char *const *)b);
}

/* One image from every set's entry for it, refs[0..k): the union of their
 * steps; at least as many as the most any of them counted. */
static int unite_steps(const struct ref *refs, size_t k, struct ev_containers_image *im, struct ev_err *err)
{
	const char **st = malloc(k * EV_CONTAINERS_STEPS * sizeof(*st));
	uint64_t total = 0, distinct = 0;
	size_t ns = 0;

	if (!st)
		return ev_errf(err, -ENOMEM, "out of memory");
	for (size_t i = 0; i < k; i++) {
		const struct ev_containers_image *x = refs[i].im;
		uint32_t nx = x->n_steps < EV_CONTAINERS_STEPS ? x->n_steps : EV_CONTAINERS_STEPS;

		for (uint32_t s = 0; s < nx; s++)
			st[ns++] = x->step[s];
		if ((uint64_t)x->n_steps + x->more_steps > total)
			total = (uint64_t)x->n_steps + x->more_steps;
	}
	qsort(st, ns, sizeof(*st), cmp_step_p);
	memcpy(im->label, refs[0].label, strlen(refs[0].label) + 1);
	for (size_t i = 0; i < ns; i++) {
		if (i && step_cmp(st[i - 1], st[i]) == 0)
			continue;
		distinct++;
		if (im->n_steps < EV_CONTAINERS_STEPS)
			memcpy(im->step[im->n_steps++], st[i], strlen(st[i]) + 1);
	}
	free(st);
	if (distinct > total)
		total = distinct;
	im->more_steps = clamp32(total - im->n_steps);
	return 0;
}

int ev_containers_union(const struct ev_containers *const *sets, size_t n, struct ev_containers *out,
			struct ev_err *err)
{
	struct ref *refs;
	uint64_t images = 0, distinct = 0;
	size_t nr = 0;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < n; i++) {
		nr += sets[i]->n < EV_CONTAINERS_IMAGES ? sets[i]->n : EV_CONTAINERS_IMAGES;
		if ((uint64_t)sets[i]->n + sets[i]->more > images)
			images = (uint64_t)sets[i]->n + sets[i]->more;
	}
	if (!nr) {
		out->more = clamp32(images);
		return 0;
	}
	if (!(refs = malloc(nr * sizeof(*refs))))
		return ev_errf(err, -ENOMEM, "out of memory");
	nr = 0;
	for (size_t i = 0; i < n; i++)
		for (uint32_t j = 0; j < sets[i]->n && j < EV_CONTAINERS_IMAGES; j++)
			refs[nr++] = (struct ref){ sets[i]->image[j].label, &sets[i]->image[j] };
	qsort(refs, nr, sizeof(*refs), cmp_ref);
	for (size_t a = 0, b; a < nr; a = b) {
		for (b = a + 1; b < nr && strcmp(refs[a].label, refs[b].label) == 0; b++)
			;
		if (distinct++ < EV_CONTAINERS_IMAGES && (rc = unite_steps(refs + a, b - a, &out->image[out->n++], err)))
			break;
	}
	free(refs);
	if (rc) {
		memset(out, 0, sizeof(*out));
		return rc;
	}
	if (distinct > images)
		images = distinct;
	out->more = clamp32(images - out->n);
	return 0;
}

bool ev_containers_valid(const struct ev_containers *c)
{
	if (c->n > EV_CONTAINERS_IMAGES)
		return false;
	for (uint32_t i = 0; i < c->n; i++) {
		const struct ev_containers_image *im = &c->image[i];

		if (!valid_label(im->label, sizeof(im->label)) || (i && strcmp(c->image[i - 1].label, im->label) >= 0) ||
		    !im->n_steps || im->n_steps > EV_CONTAINERS_STEPS)
			return false;
		for (uint32_t s = 0; s < im->n_steps; s++)
			if (!valid_step(im->step[s], sizeof(im->step[s])) ||
			    (s && step_cmp(im->step[s - 1], im->step[s]) >= 0))
				return false;
	}
	return true;
}

int ev_containers_cmp(const struct ev_containers *a, const struct ev_containers *b)
{
	int c;

	if (a->n != b->n)
		return a->n < b->n ? -1 : 1;
	if (a->more != b->more)
		return a->more < b->more ? -1 : 1;
	for (uint32_t i = 0; i < a->n && i < EV_CONTAINERS_IMAGES; i++) {
		const struct ev_containers_image *x = &a->image[i], *y = &b->image[i];

		if ((c = strncmp(x->label, y->label, sizeof(x->label))))
			return c;
		if (x->n_steps != y->n_steps)
			return x->n_steps < y->n_steps ? -1 : 1;
		if (x->more_steps != y->more_steps)
			return x->more_steps < y->more_steps ? -1 : 1;
		for (uint32_t s = 0; s < x->n_steps && s < EV_CONTAINERS_STEPS; s++)
			if ((c = strncmp(x->step[s], y->step[s], sizeof(x->step[s]))))
				return c;
	}
	return 0;
}

/* "IMAGE(STEP+STEP[+N_more])" into out, which has room for the longest. */
static size_t image_text(const struct ev_containers_image *im, char *out, size_t cap)
{
	size_t o = ev_value_encode(im->label, out, cap);

	o += (size_t)snprintf(out + o, cap - o, "(");
	for (uint32_t s = 0; s < im->n_steps; s++)
		o += (size_t)snprintf(out + o, cap - o, "%s%s", s ? "+" : "", im->step[s]);
	if (im->more_steps)
		o += (size_t)snprintf(out + o, cap - o, "+%" PRIu32 "_more", im->more_steps);
	o += (size_t)snprintf(out + o, cap - o, ")");
	return o;
}

int ev_containers_format(const struct ev_containers *c, char *out, size_t cap)
{
	char text[3 * EV_CONTAINERS_LABEL_MAX + EV_CONTAINERS_STEPS * EV_CONTAINERS_STEP_MAX + 2 * MORE_RESERVE];
	uint64_t more = c->more;
	size_t o = 0;

	if (!ev_containers_valid(c))
		return -EINVAL;
	if (cap < EV_CONTAINERS_TEXT_MIN)
		return -ENAMETOOLONG;
	out[0] = '\0';
	/* Whether an image fits depends on those before it alone, never on
	 * the count: the text parsed back lays out the same way. */
	for (uint32_t i = 0; i < c->n; i++) {
		size_t len = image_text(&c->image[i], text, sizeof(text)), sep = o ? 1 : 0;

		if (o + sep + len + MORE_RESERVE >= cap) {
			more++;
			continue;
		}
		if (sep)
			out[o++] = ';';
		memcpy(out + o, text, len + 1);
		o += len;
	}
	if (more)
		snprintf(out + o, cap - o, "%s+%" PRIu32 "_more", o ? ";" : "", clamp32(more));
	return 0;
}

/* "+N_more" (s[0..len)), 0 < N <= UINT32_MAX. */
static bool parse_more(const char *s, size_t len, uint32_t *v)
{
	char num[16];
	uint64_t x;

	if (len < 7 || s[0] != '+' || memcmp(s + len - 5, "_more", 5) != 0 || len - 6 >= sizeof(num))
		return false;
	memcpy(num, s + 1, len - 6);
	num[len - 6] = '\0';
	if (!ev_value_u64(num, &x) || !x || x > UINT32_MAX)
		return false;
	*v = (uint32_t)x;
	return true;
}

/* "IMAGE(STEP+STEP[+N_more])", g[0..len). */
static bool parse_image(const char *g, size_t len, struct ev_containers_image *im)
{
	const char *open = memchr(g, '(', len), *end = g + len - 1, *p;

	if (!open || open == g || *end != ')' || !decode_label(g, (size_t)(open - g), im->label))
		return false;
	for (p = open + 1; p < end;) {
		const char *q = memchr(p, '+', (size_t)(end - p));
		size_t tl = (size_t)((q ? q : end) - p);

		if (!tl)
			return false;
		if (memchr(p, '_', tl)) {
			/* The count, last: "+N_more" without its '+'. */
			if (q || !im->n_steps || !parse_more(p - 1, tl + 1, &im->more_steps))
				return false;
		} else {
			char *st = im->step[im->n_steps];

			if (im->n_steps == EV_CONTAINERS_STEPS || tl >= sizeof(im->step[0]))
				return false;
			memcpy(st, p, tl);
			st[tl] = '\0';
			if (!valid_step(st, sizeof(im->step[0])) ||
			    (im->n_steps && step_cmp(im->step[im->n_steps - 1], st) >= 0))
				return false;
			im->n_steps++;
		}
		if (!q)
			break;
		p = q + 1;
		if (p == end)
			return false;
	}
	return im->n_steps > 0;
}

int ev_containers_parse(const char *s, struct ev_containers *c, struct ev_err *err)
{
	const char *why = "empty";

	memset(c, 0, sizeof(*c));
	if (!*s)
		goto bad;
	for (const char *g = s;;) {
		const char *semi = strchr(g, ';');
		size_t gl = semi ? (size_t)(semi - g) : strlen(g);

		why = "bad group";
		if (!gl || c->more)
			goto bad;
		if (g[0] == '+' && !memchr(g, '(', gl)) {
			if (!parse_more(g, gl, &c->more))
				goto bad;
		} else {
			struct ev_containers_image *im = &c->image[c->n];

			why = "too many images";
			if (c->n == EV_CONTAINERS_IMAGES)
				goto bad;
			why = "bad image or steps";
			if (!parse_image(g, gl, im))
				goto bad;
			why = "images out of order";
			if (c->n && strcmp(c->image[c->n - 1].label, im->label) >= 0)
				goto bad;
			c->n++;
		}
		if (!semi)
			break;
		g = semi + 1;
	}
	return 0;
bad:
	memset(c, 0, sizeof(*c));
	return ev_errf(err, -EBADMSG, "containers: %s in '%.48s'", why, s);
}

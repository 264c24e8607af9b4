/* Strict streaming JSON: see ev_jsonscan.h. */
#include "util/ev_jsonscan.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct scan {
	const char *name;
	const unsigned char *s;
	size_t len, pos;
	unsigned max_depth;
	char *sbuf;                   /* decoded strings; a decoded string is never longer than its source */
	ev_jsonscan_fn fn;
	void *ctx;
	struct ev_err *err;
	struct ev_jsonscan_step path[EV_JSONSCAN_MAX_DEPTH];
};

/* Line and column (characters, from 1) of offset, counted afresh: only an
 * error needs them, and keeping them current would cost every byte. */
static void line_col(const char *doc, size_t off, size_t *line, size_t *col)
{
	*line = 1;
	*col = 1;
	for (size_t i = 0; i < off; i++) {
		unsigned char c = (unsigned char)doc[i];

		if (c == '\n') {
			(*line)++;
			*col = 1;
		} else if ((c & 0xc0) != 0x80) {
			(*col)++;
		}
	}
}

static int vat(const char *name, const char *doc, size_t off, struct ev_err *err, const char *fmt, va_list ap)
{
	char msg[EV_ERR_MAX];
	size_t line, col;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	line_col(doc, off, &line, &col);
	return ev_errf(err, -EINVAL, "%s:%zu:%zu: %s", name, line, col, msg);
}

int ev_jsonscan_at(const struct ev_jsonscan_event *ev, struct ev_err *err, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = vat(ev->doc_name, ev->doc, ev->offset, err, fmt, ap);
	va_end(ap);
	return rc;
}

static int fail_at(struct scan *sc, size_t off, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail_at(struct scan *sc, size_t off, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = vat(sc->name, (const char *)sc->s, off, sc->err, fmt, ap);
	va_end(ap);
	return rc;
}

int ev_jsonscan_key_is(const struct ev_jsonscan_step *st, const char *name)
{
	if (st->in_array || st->key_odd)
		return 0;
	if (strcmp(st->key, name) == 0)
		return 1;
	return strcasecmp(st->key, name) == 0 ? -1 : 0;
}

static void skip_ws(struct scan *sc)
{
	while (sc->pos < sc->len) {
		unsigned char c = sc->s[sc->pos];

		if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
			return;
		sc->pos++;
	}
}

/* What stands at pos, for "expected X, found Y". */
static const char *found(const struct scan *sc)
{
	if (sc->pos >= sc->len)
		return "the end of the document";
	switch (sc->s[sc->pos]) {
	case '}': return "'}'";
	case ']': return "']'";
	case ',': return "','";
	case ':': return "':'";
	case '"': return "a string";
	case '{': return "'{'";
	case '[': return "'['";
	case '\0': return "a NUL byte";
	default: return sc->s[sc->pos] < 0x20 || sc->s[sc->pos] >= 0x7f ? "a byte that starts no JSON token"
								       : "a word that is not JSON";
	}
}

static int emit(struct scan *sc, enum ev_jsonscan_kind kind, size_t depth, size_t off, const char *text,
		size_t len)
{
	struct ev_jsonscan_event ev = {
		.kind = kind, .path = sc->path, .depth = depth, .text = text, .len = len,
		.doc_name = sc->name, .doc = (const char *)sc->s, .offset = off,
	};

	return sc->fn(sc->ctx, &ev, sc->err);
}

static int hex4(const unsigned char *p, unsigned *out)
{
	unsigned v = 0;

	for (int i = 0; i < 4; i++) {
		unsigned char c = p[i];

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (unsigned)(c - 'A' + 10);
		else
			return -1;
	}
	*out = v;
	return 0;
}

static size_t put_utf8(char *o, unsigned cp)
{
	if (cp < 0x80) {
		o[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (char)(0xc0 | cp >> 6);
		o[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (char)(0xe0 | cp >> 12);
		o[1] = (char)(0x80 | (cp >> 6 & 0x3f));
		o[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	o[0] = (char)(0xf0 | cp >> 18);
	o[1] = (char)(0x80 | (cp >> 12 & 0x3f));
	o[2] = (char)(0x80 | (cp >> 6 & 0x3f));
	o[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/* The length of the well-formed UTF-8 sequence at p (RFC 3629: no
 * overlong form, no surrogate, nothing past U+10FFFF), 0 if there is none. */
static size_t utf8_len(const unsigned char *p, size_t avail)
{
	unsigned char c = p[0], lo = 0x80, hi = 0xbf;
	size_t n;

	if (c >= 0xc2 && c <= 0xdf)
		n = 2;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4;
	else
		return 0;
	if (avail < n)
		return 0;
	if (c == 0xe0)
		lo = 0xa0;
	else if (c == 0xed)
		hi = 0x9f;
	else if (c == 0xf0)
		lo = 0x90;
	else if (c == 0xf4)
		hi = 0x8f;
	if (p[1] < lo || p[1] > hi)
		return 0;
	for (size_t i = 2; i < n; i++)
		if ((p[i] & 0xc0) != 0x80)
			return 0;
	return n;
}

/* The string at pos (its '"'), decoded into sc->sbuf; *out_len its length. */
static int string(struct scan *sc, size_t *out_len)
{
	size_t o = 0, start = sc->pos;

	sc->pos++;
	for (;;) {
		unsigned char c;

		if (sc->pos >= sc->len)
			return fail_at(sc, start, "a string that never ends");
		c = sc->s[sc->pos];
		if (c == '"') {
			sc->pos++;
			break;
		}
		if (c < 0x20)
			return fail_at(sc, sc->pos, "control character U+%04X in a string (JSON wants it escaped)", c);
		if (c >= 0x80) {
			size_t n = utf8_len(sc->s + sc->pos, sc->len - sc->pos);

			if (!n)
				return fail_at(sc, sc->pos, "not UTF-8 (byte 0x%02x)", c);
			memcpy(sc->sbuf + o, sc->s + sc->pos, n);
			o += n;
			sc->pos += n;
			continue;
		}
		if (c != '\\') {
			sc->sbuf[o++] = (char)c;
			sc->pos++;
			continue;
		}
		if (sc->pos + 1 >= sc->len)
			return fail_at(sc, start, "a string that never ends");
		c = sc->s[sc->pos + 1];
		switch (c) {
		case '"': case '\\': case '/':
			sc->sbuf[o++] = (char)c;
			break;
		case 'b': sc->sbuf[o++] = '\b'; break;
		case 'f': sc->sbuf[o++] = '\f'; break;
		case 'n': sc->sbuf[o++] = '\n'; break;
		case 'r': sc->sbuf[o++] = '\r'; break;
		case 't': sc->sbuf[o++] = '\t'; break;
		case 'u': {
			unsigned cp, lo;
			size_t at = sc->pos;

			if (sc->len - sc->pos < 6 || hex4(sc->s + sc->pos + 2, &cp))
				return fail_at(sc, at, "a \\u escape without four hex digits");
			sc->pos += 6;
			if (cp >= 0xdc00 && cp <= 0xdfff)
				return fail_at(sc, at, "a \\u escape of a lone low surrogate (U+%04X)", cp);
			if (cp >= 0xd800 && cp <= 0xdbff) {
				if (sc->len - sc->pos < 6 || sc->s[sc->pos] != '\\' || sc->s[sc->pos + 1] != 'u' ||
				    hex4(sc->s + sc->pos + 2, &lo) || lo < 0xdc00 || lo > 0xdfff)
					return fail_at(sc, at, "a \\u escape of a high surrogate (U+%04X) without its low one",
						       cp);
				sc->pos += 6;
				cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
			}
			/* At most 4 bytes out for 6 or 12 in: sbuf keeps up. */
			o += put_utf8(sc->sbuf + o, cp);
			continue;
		}
		default:
			return fail_at(sc, sc->pos, "an escape JSON does not have ('\\%c')",
				       c >= 0x20 && c < 0x7f ? (char)c : '?');
		}
		sc->pos += 2;
	}
	sc->sbuf[o] = '\0';
	*out_len = o;
	return 0;
}

static bool digit(const struct scan *sc, size_t i)
{
	return i < sc->len && sc->s[i] >= '0' && sc->s[i] <= '9';
}

/* -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)? at pos. */
static int number(struct scan *sc, size_t depth)
{
	size_t start = sc->pos, i = sc->pos;

	if (i < sc->len && sc->s[i] == '-')
		i++;
	if (!digit(sc, i))
		return fail_at(sc, start, "a number without digits");
	if (sc->s[i] == '0') {
		i++;
		if (digit(sc, i))
			return fail_at(sc, start, "a number with a leading zero");
	} else {
		while (digit(sc, i))
			i++;
	}
	if (i < sc->len && sc->s[i] == '.') {
		if (!digit(sc, ++i))
			return fail_at(sc, start, "a number without digits after its '.'");
		while (digit(sc, i))
			i++;
	}
	if (i < sc->len && (sc->s[i] == 'e' || sc->s[i] == 'E')) {
		i++;
		if (i < sc->len && (sc->s[i] == '+' || sc->s[i] == '-'))
			i++;
		if (!digit(sc, i))
			return fail_at(sc, start, "a number without digits in its exponent");
		while (digit(sc, i))
			i++;
	}
	sc->pos = i;
	return emit(sc, EV_JSONSCAN_NUMBER, depth, start, (const char *)sc->s + start, i - start);
}

static int literal(struct scan *sc, size_t depth, const char *word, enum ev_jsonscan_kind kind)
{
	size_t n = strlen(word), start = sc->pos;

	if (sc->len - sc->pos < n || memcmp(sc->s + sc->pos, word, n) != 0)
		return fail_at(sc, start, "expected a value, found %s", found(sc));
	sc->pos += n;
	return emit(sc, kind, depth, start, NULL, 0);
}

static int value(struct scan *sc, size_t depth);

/* After a member of an object or list: 1 on ',' (another follows), the
 * container's end event on close, else the error. */
static int after_member(struct scan *sc, char close, size_t depth, size_t start, const char *what)
{
	skip_ws(sc);
	if (sc->pos < sc->len && sc->s[sc->pos] == ',') {
		sc->pos++;
		skip_ws(sc);
		return 1;
	}
	if (sc->pos < sc->len && sc->s[sc->pos] == close) {
		sc->pos++;
		return emit(sc, EV_JSONSCAN_END, depth, start, NULL, 0);
	}
	return fail_at(sc, sc->pos, "expected ',' or '%c' after a value in %s, found %s", close, what, found(sc));
}

static int object(struct scan *sc, size_t depth)
{
	size_t start = sc->pos, n = 0;
	int rc;

	if ((rc = emit(sc, EV_JSONSCAN_OBJECT, depth, start, NULL, 0)))
		return rc;
	sc->pos++;
	skip_ws(sc);
	if (sc->pos < sc->len && sc->s[sc->pos] == '}') {
		sc->pos++;
		return emit(sc, EV_JSONSCAN_END, depth, start, NULL, 0);
	}
	for (;; n++) {
		struct ev_jsonscan_step *st = &sc->path[depth];
		size_t klen;

		if (sc->pos >= sc->len || sc->s[sc->pos] != '"')
			return fail_at(sc, sc->pos, n ? "expected a key (a string) after ',', found %s"
						      : "expected a key (a string), found %s", found(sc));
		if ((rc = string(sc, &klen)))
			return rc;
		memset(st, 0, sizeof(*st));
		st->key_odd = klen >= sizeof(st->key) || strlen(sc->sbuf) != klen;
		snprintf(st->key, sizeof(st->key), "%s", sc->sbuf);
		skip_ws(sc);
		if (sc->pos >= sc->len || sc->s[sc->pos] != ':')
			return fail_at(sc, sc->pos, "expected ':' after a key, found %s", found(sc));
		sc->pos++;
		skip_ws(sc);
		if ((rc = value(sc, depth + 1)))
			return rc;
		if ((rc = after_member(sc, '}', depth, start, "an object")) <= 0)
			return rc;
	}
}

static int array(struct scan *sc, size_t depth)
{
	size_t start = sc->pos;
	int rc;

	if ((rc = emit(sc, EV_JSONSCAN_ARRAY, depth, start, NULL, 0)))
		return rc;
	sc->pos++;
	skip_ws(sc);
	if (sc->pos < sc->len && sc->s[sc->pos] == ']') {
		sc->pos++;
		return emit(sc, EV_JSONSCAN_END, depth, start, NULL, 0);
	}
	for (size_t i = 0;; i++) {
		struct ev_jsonscan_step *st = &sc->path[depth];

		memset(st, 0, sizeof(*st));
		st->in_array = true;
		st->index = i;
		if (i && sc->pos < sc->len && sc->s[sc->pos] == ']')
			return fail_at(sc, sc->pos, "expected a value after ',', found ']'");
		if ((rc = value(sc, depth + 1)))
			return rc;
		if ((rc = after_member(sc, ']', depth, start, "a list")) <= 0)
			return rc;
	}
}

static int value(struct scan *sc, size_t depth)
{
	size_t len, start = sc->pos;
	int rc;

	if (sc->pos >= sc->len)
		return fail_at(sc, sc->pos, "expected a value, found the end of the document");
	switch (sc->s[sc->pos]) {
	case '{':
	case '[':
		/* depth is this container's level from 0: it makes depth + 1 open. */
		if (depth + 1 > sc->max_depth)
			return fail_at(sc, start, "nesting is too deep (more than %u levels)", sc->max_depth);
		return sc->s[sc->pos] == '{' ? object(sc, depth) : array(sc, depth);
	case '"':
		if ((rc = string(sc, &len)))
			return rc;
		return emit(sc, EV_JSONSCAN_STRING, depth, start, sc->sbuf, len);
	case 't':
		return literal(sc, depth, "true", EV_JSONSCAN_TRUE);
	case 'f':
		return literal(sc, depth, "false", EV_JSONSCAN_FALSE);
	case 'n':
		return literal(sc, depth, "null", EV_JSONSCAN_NULL);
	default:
		if (sc->s[sc->pos] == '-' || (sc->s[sc->pos] >= '0' && sc->s[sc->pos] <= '9'))
			return number(sc, depth);
		return fail_at(sc, start, "expected a value, found %s", found(sc));
	}
}

int ev_jsonscan(const char *name, const char *text, size_t len, unsigned max_depth, ev_jsonscan_fn fn,
		void *ctx, struct ev_err *err)
{
	struct scan sc = {
		.name = name, .s = (const unsigned char *)text, .len = len,
		.max_depth = max_depth && max_depth < EV_JSONSCAN_MAX_DEPTH ? max_depth : EV_JSONSCAN_MAX_DEPTH,
		.fn = fn, .ctx = ctx, .err = err,
	};
	int rc;

	if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0)
		return fail_at(&sc, 0, "a byte-order mark: JSON text must not begin with one");
	if (!(sc.sbuf = malloc(len + 1)))
		return ev_errf(err, -ENOMEM, "%s: out of memory", name);
	skip_ws(&sc);
	if (sc.pos >= len)
		rc = fail_at(&sc, sc.pos, "no JSON value: the document is empty");
	else
		rc = value(&sc, 0);
	if (!rc) {
		skip_ws(&sc);
		if (sc.pos < len)
			rc = fail_at(&sc, sc.pos, "text after the document's value: %s", found(&sc));
	}
	free(sc.sbuf);
	return rc;
}

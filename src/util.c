/* util.c: allocation that never fails, growable buffers, time and UTF-8 helpers. */
#include "util.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "err.h"

static void out_of_memory(size_t n)
{
	(void)n;
	err_out_of_memory();
}

void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		out_of_memory(n);
	return p;
}

void *xcalloc(size_t count, size_t size)
{
	void *p = calloc(count ? count : 1, size ? size : 1);
	if (!p)
		out_of_memory(count * size);
	return p;
}

void *xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);
	if (!q)
		out_of_memory(n);
	return q;
}

void *xreallocarray(void *p, size_t count, size_t size)
{
	if (size && count > SIZE_MAX / size)
		out_of_memory(SIZE_MAX);
	return xrealloc(p, count * size);
}

char *xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

char *xstrndup(const char *s, size_t n)
{
	char *p = xmalloc(n + 1);
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *xvasprintf(const char *fmt, va_list ap)
{
	va_list ap2;
	va_copy(ap2, ap);
	int n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0)
		out_of_memory(0);
	char *p = xmalloc((size_t)n + 1);
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	return p;
}

char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *p = xvasprintf(fmt, ap);
	va_end(ap);
	return p;
}

void buf_init(struct buf *b)
{
	b->data = NULL;
	b->len = b->cap = 0;
}

void buf_release(struct buf *b)
{
	free(b->data);
	buf_init(b);
}

void buf_reset(struct buf *b)
{
	b->len = 0;
	if (b->data)
		b->data[0] = '\0';
}

static void buf_grow(struct buf *b, size_t extra)
{
	if (extra > SIZE_MAX - b->len - 1)
		out_of_memory(SIZE_MAX);
	size_t need = b->len + extra + 1;
	if (need <= b->cap)
		return;
	size_t cap = b->cap ? b->cap : 64;
	while (cap < need)
		cap = cap > SIZE_MAX / 2 ? need : cap * 2;
	b->data = xrealloc(b->data, cap);
	b->cap = cap;
}

void buf_add(struct buf *b, const void *data, size_t len)
{
	buf_grow(b, len);
	if (len)
		memcpy(b->data + b->len, data, len);
	b->len += len;
	b->data[b->len] = '\0';
}

void buf_puts(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

void buf_putc(struct buf *b, char c)
{
	buf_add(b, &c, 1);
}

void buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *s = xvasprintf(fmt, ap);
	va_end(ap);
	buf_puts(b, s);
	free(s);
}

char *buf_detach(struct buf *b)
{
	char *p = b->data ? b->data : xstrdup("");
	buf_init(b);
	return p;
}

const char *buf_str(const struct buf *b)
{
	return b->data ? b->data : "";
}

int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void iso_time(int64_t ms, char out[32])
{
	time_t secs = (time_t)(ms / 1000);
	struct tm tm;
	gmtime_r(&secs, &tm);
	size_t n = strftime(out, 32, "%Y-%m-%dT%H:%M:%S", &tm);
	unsigned frac = (unsigned)(((ms % 1000) + 1000) % 1000);
	snprintf(out + n, 32 - n, ".%03uZ", frac % 1000u);
}

void iso_now(char out[32])
{
	iso_time(now_ms(), out);
}

int parse_duration_ms(const char *s, int64_t *out)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (end == s || errno || !(v >= 0)) /* NaN too */
		return -1;
	double scale;
	if (!*end || !strcmp(end, "s"))
		scale = 1000;
	else if (!strcmp(end, "ms"))
		scale = 1;
	else if (!strcmp(end, "m"))
		scale = 60000;
	else if (!strcmp(end, "h"))
		scale = 3600000;
	else
		return -1;
	if (v * scale > 9e15)
		return -1;
	*out = (int64_t)(v * scale);
	return 0;
}

int parse_size(const char *s, size_t *out)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (end == s || errno || v < 0 || !isdigit((unsigned char)*s))
		return -1;
	double scale;
	if (!*end || !strcmp(end, "B"))
		scale = 1;
	else if (!strcmp(end, "K") || !strcmp(end, "k") || !strcmp(end, "KiB"))
		scale = 1024;
	else if (!strcmp(end, "M") || !strcmp(end, "MiB"))
		scale = 1024.0 * 1024;
	else if (!strcmp(end, "G") || !strcmp(end, "GiB"))
		scale = 1024.0 * 1024 * 1024;
	else
		return -1;
	if (v * scale < 1 || v * scale > 1e15)
		return -1;
	*out = (size_t)(v * scale);
	return 0;
}

int utf8_valid(const char *str, size_t len)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0;
	while (i < len) {
		unsigned c = s[i];
		size_t n;
		unsigned min;
		if (c < 0x80) {
			i++;
			continue;
		} else if ((c & 0xE0) == 0xC0) {
			n = 1, min = 0x80, c &= 0x1F;
		} else if ((c & 0xF0) == 0xE0) {
			n = 2, min = 0x800, c &= 0x0F;
		} else if ((c & 0xF8) == 0xF0) {
			n = 3, min = 0x10000, c &= 0x07;
		} else {
			return 0;
		}
		if (len - i <= n)
			return 0;
		for (size_t k = 1; k <= n; k++) {
			if ((s[i + k] & 0xC0) != 0x80)
				return 0;
			c = (c << 6) | (s[i + k] & 0x3F);
		}
		if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
			return 0;
		i += n + 1;
	}
	return 1;
}

size_t utf8_length(const char *s)
{
	size_t n = 0;
	for (; *s; s++)
		if (((unsigned char)*s & 0xC0) != 0x80)
			n++;
	return n;
}

char *utf8_shorten(const char *s, size_t max_bytes)
{
	size_t len = strlen(s);
	if (len <= max_bytes)
		return xstrdup(s);
	size_t cut = max_bytes;
	while (cut > 0 && ((unsigned char)s[cut] & 0xC0) == 0x80)
		cut--;
	char *p = xmalloc(cut + 4);
	memcpy(p, s, cut);
	memcpy(p + cut, "\xE2\x80\xA6", 4); /* "…" and the NUL */
	return p;
}

/* s escaped for a message (see str_excerpt); when cut, "…" and, if say_size,
 * " (N bytes)". */
static char *excerpt(const char *s, size_t max_bytes, int say_size)
{
	struct buf b = BUF_INIT;
	size_t len = strlen(s), i = 0;
	buf_puts(&b, "");
	while (i < len) {
		if (b.len >= max_bytes) {
			buf_puts(&b, "\xE2\x80\xA6");
			if (say_size)
				buf_printf(&b, " (%zu bytes)", len);
			break;
		}
		unsigned char c = (unsigned char)s[i];
		size_t n = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 0;
		if (c < 0x20 || c == 0x7f || !n || n > len - i || !utf8_valid(s + i, n)) {
			buf_printf(&b, c == '\n' ? "\\n" : c == '\r' ? "\\r" : c == '\t' ? "\\t" : "\\x%02x", c);
			i++;
			continue;
		}
		buf_add(&b, s + i, n);
		i += n;
	}
	return buf_detach(&b);
}

char *str_excerpt(const char *s, size_t max_bytes)
{
	return excerpt(s, max_bytes, 1);
}

char *text_one_line(const char *s, size_t max_bytes)
{
	return excerpt(s, max_bytes, 0);
}

char *text_shape(const char *s, size_t max_bytes)
{
	struct buf b = BUF_INIT;
	buf_puts(&b, "");
	while (*s && b.len < max_bytes) {
		if (isdigit((unsigned char)*s)) {
			buf_putc(&b, '#');
			while (isdigit((unsigned char)*s))
				s++;
		} else if (isspace((unsigned char)*s)) {
			buf_putc(&b, ' ');
			while (isspace((unsigned char)*s))
				s++;
		} else {
			buf_putc(&b, *s++);
		}
	}
	char *shape = utf8_shorten(buf_str(&b), max_bytes);
	buf_release(&b);
	return shape;
}

int str_starts_with(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

int str_starts_with_nocase(const char *s, const char *prefix)
{
	for (; *prefix; s++, prefix++)
		if (tolower((unsigned char)*s) != tolower((unsigned char)*prefix))
			return 0;
	return 1;
}

char *str_trim(char *s)
{
	size_t len = strlen(s);
	while (len && isspace((unsigned char)s[len - 1]))
		s[--len] = '\0';
	size_t start = 0;
	while (isspace((unsigned char)s[start]))
		start++;
	if (start)
		memmove(s, s + start, len - start + 1);
	return s;
}

int parse_long(const char *s, long *out)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (!*s || *end || errno || isspace((unsigned char)*s))
		return -1;
	*out = v;
	return 0;
}

int double_to_long(double d, long *out)
{
	if (!(d >= -9007199254740992.0 && d <= 9007199254740992.0)) /* NaN fails both */
		return -1;
	long v = (long)d;
	if ((double)v != d)
		return -1;
	*out = v;
	return 0;
}

int read_file(const char *path, char **out, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	struct stat st;
	if (fstat(fd, &st) < 0) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	if (S_ISDIR(st.st_mode)) {
		close(fd);
		errno = EISDIR;
		return -1;
	}
	struct buf b = BUF_INIT;
	char chunk[65536];
	for (;;) {
		ssize_t n = read(fd, chunk, sizeof chunk);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = errno;
			close(fd);
			buf_release(&b);
			errno = e;
			return -1;
		}
		if (n == 0)
			break;
		buf_add(&b, chunk, (size_t)n);
	}
	close(fd);
	if (len)
		*len = b.len;
	*out = buf_detach(&b);
	return 0;
}

char *read_input_file(const char *path, size_t max, char **out, size_t *len)
{
	*out = NULL;
	/* O_NONBLOCK: opening a FIFO without a writer must not wait. */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return xstrdup(strerror(errno));
	struct stat st;
	if (fstat(fd, &st) < 0) {
		char *e = xstrdup(strerror(errno));
		close(fd);
		return e;
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return xasprintf("not a regular file (%s)", S_ISDIR(st.st_mode) ? "a directory"
						 : S_ISCHR(st.st_mode) ? "a character device"
						 : S_ISBLK(st.st_mode) ? "a block device"
						 : S_ISFIFO(st.st_mode) ? "a pipe" : S_ISSOCK(st.st_mode) ? "a socket"
						 : "not a file");
	}
	if ((uintmax_t)st.st_size > max) {
		close(fd);
		return xasprintf("%jd bytes is more than the %zu MiB a file may have", (intmax_t)st.st_size, max >> 20);
	}
	struct buf b = BUF_INIT;
	buf_grow(&b, (size_t)st.st_size);
	char chunk[65536];
	for (;;) {
		ssize_t n = read(fd, chunk, sizeof chunk);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n < 0) {
			char *e = xstrdup(strerror(errno));
			close(fd);
			buf_release(&b);
			return e;
		}
		if (n == 0)
			break;
		if (b.len + (size_t)n > max) { /* it grew while being read */
			close(fd);
			buf_release(&b);
			return xasprintf("more than the %zu MiB a file may have", max >> 20);
		}
		buf_add(&b, chunk, (size_t)n);
	}
	close(fd);
	*len = b.len;
	*out = buf_detach(&b);
	return NULL;
}

static int write_durable = 1;

void write_files_durable(int on)
{
	write_durable = on;
}

int write_file_atomic(const char *path, const char *data, size_t len)
{
	char *tmp = xasprintf("%s.tmp.%ld", path, (long)getpid());
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		free(tmp);
		return -1;
	}
	size_t off = 0;
	while (off < len) {
		ssize_t n = write(fd, data + off, len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			goto fail;
		off += (size_t)n;
	}
	if ((write_durable && fsync(fd) < 0) || close(fd) < 0) {
		fd = -1;
		goto fail;
	}
	if (rename(tmp, path) < 0) {
		fd = -1;
		goto fail;
	}
	free(tmp);
	return 0;
fail:;
	int e = errno;
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	free(tmp);
	errno = e;
	return -1;
}

int mkdir_p(const char *path)
{
	char *p = xstrdup(path);
	for (char *s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, 0777) < 0 && errno != EEXIST) {
			free(p);
			return -1;
		}
		*s = '/';
	}
	int rc = mkdir(p, 0777);
	free(p);
	return rc < 0 && errno != EEXIST ? -1 : 0;
}

/* tap.h: a minimal TAP producer for the unit tests. */
#ifndef tap_h
#define tap_h

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int tap_n, tap_failed;

#define ok(cond, ...) tap_ok(!!(cond), __FILE__, __LINE__, __VA_ARGS__)
#define is_str(got, exp, ...) tap_is_str((got), (exp), __FILE__, __LINE__, __VA_ARGS__)
#define is_str_free(got, exp, ...) tap_is_str_free((got), (exp), __FILE__, __LINE__, __VA_ARGS__)
#define is_int(got, exp, ...) tap_is_int((long long)(got), (long long)(exp), __FILE__, __LINE__, __VA_ARGS__)

__attribute__((unused)) static void tap_name(const char *fmt, va_list ap)
{
	vprintf(fmt, ap);
	putchar('\n');
}

/* Prints the result line of one check (and where it is when it failed). */
__attribute__((unused)) static int tap_result(int cond, const char *file, int line, const char *fmt, va_list ap)
{
	printf("%sok %d - ", cond ? "" : "not ", ++tap_n);
	tap_name(fmt, ap);
	if (!cond) {
		tap_failed++;
		printf("#   at %s:%d\n", file, line);
	}
	return cond;
}

__attribute__((format(printf, 4, 5), unused)) static int tap_ok(int cond, const char *file, int line,
							  const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	tap_result(cond, file, line, fmt, ap);
	va_end(ap);
	return cond;
}

/* The check that got is the string exp (both may be NULL). */
__attribute__((unused)) static int tap_str_result(const char *got, const char *exp, const char *file, int line,
						   const char *fmt, va_list ap)
{
	int cond = (got == NULL && exp == NULL) || (got && exp && !strcmp(got, exp));
	if (!tap_result(cond, file, line, fmt, ap))
		printf("#   got:      %s\n#   expected: %s\n", got ? got : "(null)", exp ? exp : "(null)");
	return cond;
}

__attribute__((format(printf, 5, 6), unused)) static int tap_is_str(const char *got, const char *exp, const char *file,
							      int line, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int cond = tap_str_result(got, exp, file, line, fmt, ap);
	va_end(ap);
	return cond;
}

/* is_str for a string the check owns: it is freed after. */
__attribute__((format(printf, 5, 6), unused)) static int tap_is_str_free(char *got, const char *exp,
								   const char *file, int line, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int cond = tap_str_result(got, exp, file, line, fmt, ap);
	va_end(ap);
	free(got);
	return cond;
}

__attribute__((format(printf, 5, 6), unused)) static int tap_is_int(long long got, long long exp, const char *file,
							      int line, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int cond = tap_result(got == exp, file, line, fmt, ap);
	va_end(ap);
	if (!cond)
		printf("#   got:      %lld\n#   expected: %lld\n", got, exp);
	return cond;
}

__attribute__((unused)) static int done_testing(void)
{
	printf("1..%d\n", tap_n);
	return tap_failed ? 1 : 0;
}

#endif

/* Unit tests of sync's pure parts: password redaction (redact.c) and the
 * translation of turing's definitions (turing.c). */
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "redact.h"
#include "tap.h"
#include "template.h"
#include "turing.h"
#include "util.h"

static void redacts(const char *conninfo, const char *want, const char *what)
{
	char *got = sync_redact_conninfo(conninfo);
	is_str(got, want, "redact: %s", what);
	free(got);
}

static void secrets(const char *conninfo, const char *want, const char *what)
{
	char **s = NULL;
	size_t n = 0;
	sync_conninfo_secrets(conninfo, &s, &n);
	struct buf b = BUF_INIT;
	buf_puts(&b, "");
	for (size_t i = 0; i < n; i++) {
		buf_printf(&b, "%s[%s]", i ? " " : "", s[i]);
		free(s[i]);
	}
	free(s);
	is_str(buf_str(&b), want, "secrets: %s", what);
	buf_release(&b);
}

static void cleans(const char *msg, const char *want, const char *what)
{
	char *got = sync_clean_pg_error(msg);
	is_str(got, want, "clean: %s", what);
	free(got);
}

/* Variables a and b for rendering translated templates. */
static enum tpl_lookup lookup(void *ctx, const char *name, char **value, char **why)
{
	(void)ctx;
	(void)why;
	if (!strcmp(name, "a"))
		*value = xstrdup("1");
	else if (!strcmp(name, "b"))
		*value = xstrdup("2");
	else
		return TPL_UNKNOWN;
	return TPL_FOUND;
}

/* What turing sent: every {a} and {b} replaced, nothing else touched. */
static char *turing_render(const char *tpl)
{
	struct buf b = BUF_INIT;
	buf_puts(&b, "");
	for (const char *p = tpl; *p;) {
		if (!strncmp(p, "{a}", 3) || !strncmp(p, "{b}", 3)) {
			buf_puts(&b, p[1] == 'a' ? "1" : "2");
			p += 3;
		} else {
			buf_putc(&b, *p++);
		}
	}
	return buf_detach(&b);
}

static void translates(const char *tpl, const char *want_text)
{
	char *local = turing_template(tpl), *out = NULL, *err = NULL;
	char *want = turing_render(tpl);
	if (template_render(local, lookup, NULL, &out, &err) == 0)
		is_str(out, want, "turing's %s renders as turing sent it (as %s)", tpl, local);
	else
		ok(0, "turing's %s renders (as %s): %s", tpl, local, err);
	if (want_text)
		is_str(local, want_text, "turing's %s is written %s", tpl, want_text);
	free(local);
	free(out);
	free(err);
	free(want);
}

static struct wf_conv *add_conv(struct workflow *wf, long id)
{
	wf->convs = xreallocarray(wf->convs, wf->nconvs + 1, sizeof *wf->convs);
	struct wf_conv *c = &wf->convs[wf->nconvs++];
	memset(c, 0, sizeof *c);
	c->id = id;
	c->name = xasprintf("step %ld", id);
	c->actor = xstrdup("x");
	return c;
}

static void builtin_input(const char *builtin, const char *tpl, const struct workflow *wf, const char *want)
{
	char *got = turing_builtin_template(builtin, tpl, wf);
	char *label = xstrdup(tpl ? tpl : "(none)");
	for (char *p = label; *p; p++)
		if (*p == '\n')
			*p = ' ';
	is_str(got, want, "%s's input from turing template %s", builtin, label);
	free(label);
	free(got);
}

int main(void)
{
	/* keyword form */
	redacts("host=db.example port=5432 password=s3cret user=alice",
		"host=db.example port=5432 password=*** user=alice", "keyword form");
	redacts("password=s3cret", "password=***", "password last and alone");
	redacts("host=h password = 'se cr\\'et' user=u", "host=h password = *** user=u", "quoted, with spaces and escapes");
	redacts("host=h password=a\\ b user=u", "host=h password=*** user=u", "escaped space in an unquoted value");
	redacts("host=h passfile=/home/u/.pgpass", "host=h passfile=/home/u/.pgpass", "a passfile is not a password");
	redacts("host=h password='' user=u", "host=h password=*** user=u", "an empty quoted password");
	redacts("dbname='postgresql://u:pw@h/d' host=x", "dbname='postgresql://u:***@h/d' host=x",
		"a URL given as dbname");
	redacts("dbname='host=h password=pw'", "dbname='host=h password=***'", "a connection string given as dbname");
	redacts("", "", "empty");
	/* URL form */
	redacts("postgresql://alice:s3cret@db.example:5432/turing", "postgresql://alice:***@db.example:5432/turing",
		"URL user:password@");
	redacts("postgres://alice:se%40cret@h1:5432,h2:5433/turing?sslmode=require",
		"postgres://alice:***@h1:5432,h2:5433/turing?sslmode=require", "URL with several hosts");
	redacts("postgresql://alice@h/turing?sslmode=require&password=s3cret&application_name=x",
		"postgresql://alice@h/turing?sslmode=require&password=***&application_name=x", "URL query password");
	redacts("postgresql://h/turing", "postgresql://h/turing", "URL without user information");
	redacts("postgresql://alice@h/db?x=a:b@c", "postgresql://alice@h/db?x=a:b@c",
		"an @ after the host is not user information");

	secrets("host=h password='a b\\'c'", "[a b'c]", "quoted keyword value");
	secrets("postgresql://u:se%40cret@h/d", "[se@cret] [se%40cret]", "URL password, decoded too");
	secrets("host=h user=u", "", "none");

	char *pw[] = { "se@cret", "" };
	char *s = sync_scrub("auth failed for se@cret (se@cret)", pw, 2);
	is_str(s, "auth failed for *** (***)", "scrub: every occurrence; an empty secret is ignored");
	free(s);

	cleans("connection to server at \"127.0.0.1\", port 5433 failed: FATAL:  password authentication failed for "
	       "user \"alice\"\n",
	       "password authentication failed for user \"alice\"", "a failed password");
	cleans("connection to server on socket \"/tmp/.s.PGSQL.5432\" failed: No such file or directory\n"
	       "\tIs the server running locally and accepting connections on that socket?\n",
	       "No such file or directory; Is the server running locally and accepting connections on that socket?",
	       "no server on a socket");
	cleans("connection to server at \"h\" (10.0.0.1), port 5432 failed: timeout expired\n"
	       "connection to server at \"h\" (10.0.0.2), port 5432 failed: timeout expired\n",
	       "timeout expired", "the same reason for two addresses");
	cleans("server closed the connection unexpectedly\n\tThis probably means the server terminated abnormally\n",
	       "server closed the connection unexpectedly; This probably means the server terminated abnormally",
	       "a lost connection");
	cleans("", "unknown error", "no message");

	/* Templates: what turing sent, in this syntax. */
	translates("{\"summary\": \"{a}\"}", "{\"summary\": \"{a}\"}");
	translates("Summary: {a} and {b}", "Summary: {a} and {b}");
	translates("{{a}}", "{{{a}}");
	translates("{a}}", "{a}}");
	translates("{{a}", "{{{a}");
	translates("{\"k\": {\"n\": {a}}}", "{\"k\": {\"n\": {a}}}}");
	translates("{a.b} and {a|b}", "{{a.b} and {{a|b}");
	translates("}}{{", "}}}{{{");
	translates("{ a } {} {1} x{y }z", "{ a } {} {1} x{y }z");
	translates("{{{a}}}", NULL);
	translates("}}}", NULL);

	int per;
	is_str(turing_builtin("summary_saver", 9168, "save_summary", &per), "save_summary", "summary_saver");
	ok(!per, "... for every conversation");
	is_str(turing_builtin("posting_skills_saver", 1, NULL, &per), "save_skills", "posting_skills_saver");
	is_str(turing_builtin("ihl_score_saver", 1, NULL, &per), "save_ihl", "ihl_score_saver");
	is_str(turing_builtin("db_job_fetcher", 9144, NULL, &per), "fetch_jobs", "db_job_fetcher");
	is_str(turing_builtin("sql_query_executor", 9193, NULL, &per), "check_description",
	       "the SQL executor on conversation 9193");
	ok(per, "... for that conversation only");
	is_str(turing_builtin("sql_query_executor", 77, "check_description", &per), "check_description",
	       "the SQL executor on a conversation named check_description");
	ok(turing_builtin("sql_query_executor", 9184, "check_summary_exists", &per) == NULL,
	   "the SQL executor elsewhere stays a script");
	ok(turing_builtin("skills_saver", 1, NULL, &per) == NULL, "the legacy profile skills saver is not mapped");

	struct workflow wf = { 0 };
	add_conv(&wf, 3341);
	add_conv(&wf, 9121);
	add_conv(&wf, 3335);
	builtin_input("save_summary", "posting_id: {posting_id}\nsummary: {conversation_3341_output}", &wf,
		      "{\"summary\": \"{conversation_3341_output}\"}");
	builtin_input("save_summary", "summary: {conversation_3335_output}", &wf,
		      "{\"summary\": \"{conversation_3335_output}\"}");
	builtin_input("save_summary", "{conversation_4242_output}", &wf, "{\"summary\": \"{conversation_3341_output}\"}");
	builtin_input("save_skills", "{}", &wf, "{\"skills\": \"{conversation_9121_output}\"}");
	builtin_input("save_ihl", "{}", &wf, "{\"answer\": \"{parent_response}\"}");
	builtin_input("check_description", "{\"query\": \"SELECT ...\"}", &wf, "{\"description\": \"{job_description}\"}");
	builtin_input("fetch_jobs", "{\"max_jobs\": 50}", &wf, "{\"max_jobs\": 50}");
	builtin_input("fetch_jobs", "fetch please", &wf, "{}");
	builtin_input("save_summary", NULL, &wf, "{\"summary\": \"{conversation_3341_output}\"}");
	workflow_release(&wf);

	char *dropped;
	cJSON *c = turing_model_config("{\"temperature\": 0.2, \"seed\": 42, \"model\": \"x\", \"num_ctx\": 8192}",
				       &dropped);
	char *cs = json_print(c);
	is_str(cs, "{\"temperature\":0.2,\"seed\":42}", "model config keeps what turing sent");
	is_str(dropped, "model, num_ctx", "... and names what it left out");
	free(cs);
	free(dropped);
	cJSON_Delete(c);
	c = turing_model_config(NULL, &dropped);
	is_str_free(json_print(c), "{}", "no model config");
	ok(dropped == NULL, "... leaves nothing out");
	cJSON_Delete(c);
	c = turing_model_config("[1]", &dropped);
	is_str_free(json_print(c), "{}", "a config that is not an object");
	cJSON_Delete(c);
	return done_testing();
}

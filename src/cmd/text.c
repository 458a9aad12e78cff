/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * DESIGN: the language commands, tools on the server's own code.
 *
 *   train [--out FILE]                  the default triage model from the built-in
 *                                       corpus, with the KB match calibration
 *   train --workspace ID [store opts]   the workspace's own model: corpus + its
 *                                       agents' corrections, stored for the servers
 *   triage TEXT [--plan P] [--url U] [--errors N] [--user-agent UA] [--model FILE]
 *                                       one ticket's triage, summary and environment (JSON)
 *   eval --kb ARTICLES TICKETS [--json] [--model FILE] [--threshold X]
 *                                       accuracy, macro-F1 and confusion per field, and KB
 *                                       precision/recall and top-1/top-3, through the
 *                                       server's own analysis on a scratch workspace
 *   kb import ARTICLES --workspace ID [store opts]
 *                                       help articles into a workspace, by their ids
 *
 * Formats of ARTICLES and TICKETS: src/text/corpus.h. Results are JSON (or a
 * table) on stdout; errors one sentence on stderr, exit 1; usage exit 2.
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "base/buf.h"
#include "base/clock.h"
#include "base/rand.h"
#include "cmd/cmd.h"
#include "cmd/provision.h"
#include "domain/analyze.h"
#include "text/corpus.h"
#include "base/banned.h"

#define FILE_MAX  (512u << 20)
#define MODEL_MAX (256u << 20)

struct opts {
    const char *out, *workspace, *plan, *url, *errors, *ua, *model, *kb, *threshold;
    bool json;
};

/* Takes the command's own options out of argv; the rest goes to the config loader. */
static int split_args(const char *cmd, int argc, char **argv, struct opts *o, char **cfg_argv,
                      int *cfg_argc)
{
    static const struct {
        const char *flag;
        size_t off;
    } table[] = {
        {"--out", offsetof(struct opts, out)},
        {"--workspace", offsetof(struct opts, workspace)},
        {"--plan", offsetof(struct opts, plan)},
        {"--url", offsetof(struct opts, url)},
        {"--errors", offsetof(struct opts, errors)},
        {"--user-agent", offsetof(struct opts, ua)},
        {"--model", offsetof(struct opts, model)},
        {"--kb", offsetof(struct opts, kb)},
        {"--threshold", offsetof(struct opts, threshold)},
    };
    if (argc > 60) {
        (void)fprintf(stderr, "showdesk %s: too many arguments\n", cmd);
        return 2;
    }
    *cfg_argc = 0;
    cfg_argv[(*cfg_argc)++] = argv[0];
    for (int i = 1; i < argc; i++) {
        bool taken = false;
        if (strcmp(argv[i], "--json") == 0) {
            o->json = true;
            continue;
        }
        for (size_t k = 0; k < SD_ARRAY_LEN(table) && !taken; k++) {
            if (strcmp(argv[i], table[k].flag) == 0) {
                if (i + 1 >= argc) {
                    (void)fprintf(stderr, "showdesk %s: %s needs a value\n", cmd, argv[i]);
                    return 2;
                }
                *(const char **)(void *)((char *)o + table[k].off) = argv[++i];
                taken = true;
            }
        }
        if (!taken) {
            cfg_argv[(*cfg_argc)++] = argv[i];
        }
    }
    cfg_argv[*cfg_argc] = NULL;
    return 0;
}

static void print_json(json_t *j)
{
    char *s = json_dumps(j, JSON_INDENT(2) | JSON_REAL_PRECISION(4));
    if (s != NULL) {
        (void)puts(s);
    }
    free(s);
    json_decref(j);
}

/* ---- train ----------------------------------------------------------------- */

static const char train_usage[] =
    "usage: showdesk train [--out FILE]\n"
    "       showdesk train --workspace ID [--data DIR] [--db URL] [--config FILE]\n\n"
    "Trains the triage models (category, urgency, product area, sentiment) with\n"
    "liblinear on the corpus built into the binary (corpus/ in the source), and fits\n"
    "the confidence of help-article matches on its labelled pairs.\n\n"
    "  --out FILE      write the default model there (default: triage.model); the\n"
    "                  server loads triage.model beside its binary, or --triage-model\n"
    "  --workspace ID  train the workspace's own model on the corpus plus its agents'\n"
    "                  corrections and store it; running servers use it at once\n";

static int train_default(const struct opts *o)
{
    struct sd_err err = SD_ERR_INIT;
    sd_triage_model *m = NULL;
    int64_t t0 = sd_clock_wall_ms();
    if (sd_analyzer_train_default(&m, &err) != SD_OK) {
        return sd_cmd_fail("train", &err);
    }
    struct sd_buf b = SD_BUF_INIT(MODEL_MAX);
    sd_status st = sd_triage_model_save(m, &b, &err);
    const char *path = o->out ? o->out : "triage.model";
    char tmp[PATH_MAX];
    (void)snprintf(tmp, sizeof tmp, "%s.tmp", path);
    if (st == SD_OK) {
        FILE *f = fopen(tmp, "wb");
        bool ok = f != NULL && fwrite(b.data, 1, b.len, f) == b.len;
        ok = f != NULL && fclose(f) == 0 && ok;
        if (!ok || rename(tmp, path) != 0) {
            st = sd_err_set(&err, SD_E_IO, NULL, "cannot write %s: %s", path, strerror(errno));
            (void)unlink(tmp);
        }
    }
    if (st == SD_OK) {
        const struct sd_kb_calib *cal = sd_triage_model_kb(m);
        (void)fprintf(stderr,
                      "showdesk train: %s: %zu features, %zu bytes, KB calibration %s, %lld ms\n",
                      path, sd_triage_model_features(m), b.len, cal ? "fitted" : "default",
                      (long long)(sd_clock_wall_ms() - t0));
    }
    sd_buf_release(&b);
    sd_triage_model_free(m);
    return st == SD_OK ? 0 : sd_cmd_fail("train", &err);
}

/* Opens the store of @cfg and runs @fn with a connection. */
static int with_store(const char *cmd, const struct sd_config *cfg,
                      sd_status (*fn)(sd_db *, sd_arena *, const struct opts *, json_t **,
                                      struct sd_err *),
                      const struct opts *o)
{
    struct sd_err err = SD_ERR_INIT;
    sd_store *store = NULL;
    sd_db *db = NULL;
    if (sd_cmd_open_store(cfg, 1, &store, &err) != SD_OK) {
        return sd_cmd_fail(cmd, &err);
    }
    sd_status st = sd_store_get(store, &db, &err);
    sd_arena *a = sd_arena_new();
    json_t *result = NULL;
    if (st == SD_OK) {
        st = fn(db, a, o, &result, &err);
    }
    sd_store_put(store, db);
    sd_store_close(store);
    sd_arena_free(a);
    if (st != SD_OK) {
        return sd_cmd_fail(cmd, &err);
    }
    print_json(result);
    return 0;
}

static sd_status train_ws(sd_db *db, sd_arena *a, const struct opts *o, json_t **out,
                          struct sd_err *err)
{
    struct sd_workspace w;
    sd_status st = sd_store_workspace_get(db, a, o->workspace, &w, err);
    struct sd_triage_model_row row;
    if (st == SD_OK) {
        st = sd_analyzer_train_workspace(db, a, o->workspace, w.settings, &row, err);
    }
    if (st == SD_OK) {
        *out = json_pack("{s:s, s:s, s:I, s:I}", "model_id", row.id, "workspace_id", o->workspace,
                         "examples", (json_int_t)row.n_examples, "corrections",
                         (json_int_t)row.n_corrections);
    }
    return st;
}

/* Loads the command's store options; -1 to go on, else an exit code. */
static int load_config(const char *cmd, const char *usage, int cfg_argc, char **cfg_argv,
                       char **envp, struct sd_config *cfg, char **rest, size_t max_rest,
                       size_t *n_rest)
{
    struct sd_err err = SD_ERR_INIT;
    bool help = false;
    if (sd_config_load(cfg, cfg_argc, cfg_argv, envp, &help, rest, max_rest, n_rest, &err) !=
        SD_OK) {
        (void)fprintf(stderr, "showdesk %s: %s\n", cmd, err.msg);
        return 2;
    }
    if (help) {
        (void)fputs(usage, stdout);
        return 0;
    }
    return -1;
}

/* The options of @cmd: its own into @o, the store's into @cfg, the
 * arguments left into @rest. -1 to go on, else the exit code. */
static int command_args(const char *cmd, const char *usage, int argc, char **argv, char **envp,
                        struct opts *o, struct sd_config *cfg, char **rest, size_t max_rest,
                        size_t *n_rest)
{
    char *cfg_argv[64];
    int cfg_argc = 0;
    int rc = split_args(cmd, argc, argv, o, cfg_argv, &cfg_argc);
    if (rc != 0) {
        return rc;
    }
    return load_config(cmd, usage, cfg_argc, cfg_argv, envp, cfg, rest, max_rest, n_rest);
}

int sd_cmd_train(int argc, char **argv, char **envp)
{
    struct opts o = {0};
    struct sd_config cfg;
    char *rest[2];
    size_t n_rest = 0;
    int rc = command_args("train", train_usage, argc, argv, envp, &o, &cfg, rest, 2, &n_rest);
    if (rc >= 0) {
        return rc;
    }
    if (n_rest != 0) {
        (void)fprintf(stderr, "showdesk train: unexpected argument '%s'\n\n%s", rest[0],
                      train_usage);
        return 2;
    }
    return o.workspace ? with_store("train", &cfg, train_ws, &o) : train_default(&o);
}

/* ---- triage ------------------------------------------------------------------ */

static const char triage_usage[] =
    "usage: showdesk triage TEXT [--plan free|pro|enterprise] [--url PAGE_URL]\n"
    "                            [--errors N] [--user-agent UA] [--model FILE]\n\n"
    "Prints what Showdesk makes of a ticket: category, urgency, product area and\n"
    "sentiment with their probabilities (and whether an agent should review them),\n"
    "a title, a two-sentence summary and the environment line. TEXT '-' reads stdin.\n";

static json_t *value_json(const struct sd_triage_value *v)
{
    json_t *o = json_pack("{s:s, s:f, s:b}", "value", v->value, "confidence",
                          round(v->p * 1000) / 1000, "review", v->review);
    if (v->rule != NULL) {
        (void)json_object_set_new(o, "rule", json_string(v->rule));
    }
    return o;
}

int sd_cmd_triage(int argc, char **argv, char **envp)
{
    (void)envp;
    struct opts o = {0};
    char *rest[64];
    int n_rest = 0;
    int rc = split_args("triage", argc, argv, &o, rest, &n_rest);
    if (rc != 0) {
        return rc;
    }
    for (int i = 1; i < n_rest; i++) {
        if (strcmp(rest[i], "--help") == 0 || strcmp(rest[i], "-h") == 0) {
            (void)fputs(triage_usage, stdout);
            return 0;
        }
    }
    if (n_rest != 2) {
        (void)fputs(triage_usage, stderr);
        return 2;
    }
    struct sd_err err = SD_ERR_INIT;
    struct sd_buf in = SD_BUF_INIT(FILE_MAX);
    const char *text = rest[1];
    if (strcmp(text, "-") == 0) {
        if (sd_buf_read_file(&in, "/dev/stdin", &err) != SD_OK) {
            sd_buf_release(&in);
            return sd_cmd_fail("triage", &err);
        }
        text = sd_buf_cstr(&in);
    }
    long n_errors = o.errors ? strtol(o.errors, NULL, 10) : 0;
    if (n_errors < 0 || n_errors > 1000) {
        (void)fprintf(stderr, "showdesk triage: --errors must be from 0 to 1000\n");
        sd_buf_release(&in);
        return 2;
    }
    sd_analyzer *an = NULL;
    sd_status st = sd_analyzer_new(o.model, NULL, &an, &err);
    const sd_triage_model *m = st == SD_OK ? sd_analyzer_model(an) : NULL;
    sd_stem *stem = NULL;
    if (st == SD_OK) {
        st = sd_stem_new(&stem, &err);
    }
    if (st == SD_OK) {
        sd_arena *a = sd_arena_new();
        struct sd_triage r;
        struct sd_triage_input ti = {
            .text = text, .plan = o.plan, .page_url = o.url, .n_console_errors = (size_t)n_errors};
        sd_triage_run(m, stem, a, &ti, NULL, &r);
        struct sd_summary s;
        sd_summarize(stem, a, text, NULL, 0, &s);
        json_t *j = json_object();
        for (int f = 0; f < SD_TRI_N; f++) {
            (void)json_object_set_new(j, sd_triage_field_names[f], value_json(&r.f[f]));
        }
        (void)json_object_set_new(j, "title", json_string(s.title));
        (void)json_object_set_new(j, "summary", json_string(s.summary));
        (void)json_object_set_new(j, "environment",
                                  json_string(sd_environment(a, o.ua, o.url, (size_t)n_errors)));
        print_json(j);
        sd_arena_free(a);
    }
    sd_stem_free(stem);
    sd_analyzer_free(an);
    sd_buf_release(&in);
    return st == SD_OK ? 0 : sd_cmd_fail("triage", &err);
}

/* ---- eval --------------------------------------------------------------------- */

static const char eval_usage[] =
    "usage: showdesk eval --kb ARTICLES.jsonl TICKETS.jsonl [--json] [--model FILE]\n"
    "                     [--threshold X]\n\n"
    "Loads ARTICLES into a scratch workspace and runs every ticket of TICKETS through\n"
    "the server's own triage and KB matching. Prints accuracy and macro-F1 per field\n"
    "with the confusion matrices, and for the KB: precision and recall of the\n"
    "articles shown automatically (confidence >= X, default 0.8, the workspace\n"
    "default), and the top-1 and top-3 hit rates. --json prints one JSON object.\n";

#define CLASSES_MAX 64

struct field_eval {
    const char *classes[CLASSES_MAX];
    size_t n_classes;
    long long confusion[CLASSES_MAX][CLASSES_MAX]; /* [gold][predicted] */
    long long n, correct, reviewed, correct_unreviewed;
};

static size_t class_index(struct field_eval *fe, const char *c)
{
    for (size_t i = 0; i < fe->n_classes; i++) {
        if (strcmp(fe->classes[i], c) == 0) {
            return i;
        }
    }
    if (fe->n_classes == CLASSES_MAX) {
        return CLASSES_MAX - 1;
    }
    fe->classes[fe->n_classes] = c;
    return fe->n_classes++;
}

static double macro_f1(const struct field_eval *fe)
{
    double sum = 0;
    size_t n = 0;
    for (size_t c = 0; c < fe->n_classes; c++) {
        long long tp = fe->confusion[c][c], fp = 0, fn = 0;
        for (size_t k = 0; k < fe->n_classes; k++) {
            if (k != c) {
                fp += fe->confusion[k][c];
                fn += fe->confusion[c][k];
            }
        }
        if (tp + fn == 0) {
            continue; /* a class only ever predicted, never true: not averaged */
        }
        double p = tp + fp ? (double)tp / (double)(tp + fp) : 0;
        double r = (double)tp / (double)(tp + fn);
        sum += p + r > 0 ? 2 * p * r / (p + r) : 0;
        n++;
    }
    return n ? sum / (double)n : 0;
}

#define CURVE_POINTS 9

struct kb_eval {
    long long n_tickets, with_article, shown, shown_right, top1, top3;
    /* At thresholds 0.1 .. 0.9: articles shown, and shown rightly. */
    long long curve_shown[CURVE_POINTS], curve_right[CURVE_POINTS];
};

static sd_status scratch_workspace(sd_db *db, sd_arena *a, const struct sd_corpus_article *arts,
                                   size_t n_arts, const char **ws_out, struct sd_err *err)
{
    char id[SD_ID_MAX];
    sd_id_new("wsp", id);
    int64_t now = sd_clock_wall_ms();
    struct sd_workspace w = {.id = sd_arena_strdup(a, id),
                             .name = "eval",
                             .allowed_origins = "[]",
                             .settings = "{}",
                             .created_at = now,
                             .updated_at = now};
    sd_status st = sd_store_workspace_insert(db, &w, err);
    if (st == SD_OK) {
        st = sd_store_begin(db, err);
    }
    long long created = 0, updated = 0;
    if (st == SD_OK) {
        st = sd_cmd_put_articles(db, a, w.id, arts, n_arts, &created, &updated, err);
    }
    if (st == SD_OK) {
        st = sd_store_commit(db, err);
    }
    *ws_out = w.id;
    return st;
}

static json_t *field_json(const struct field_eval *fe)
{
    json_t *labels = json_array(), *matrix = json_array();
    for (size_t g = 0; g < fe->n_classes; g++) {
        (void)json_array_append_new(labels, json_string(fe->classes[g]));
        json_t *row = json_array();
        for (size_t p = 0; p < fe->n_classes; p++) {
            (void)json_array_append_new(row, json_integer(fe->confusion[g][p]));
        }
        (void)json_array_append_new(matrix, row);
    }
    double n = fe->n ? (double)fe->n : 1;
    long long unrev = fe->n - fe->reviewed;
    return json_pack("{s:I, s:f, s:f, s:f, s:f, s:o, s:o}", "n", (json_int_t)fe->n, "accuracy",
                     (double)fe->correct / n, "macro_f1", macro_f1(fe), "review_rate",
                     (double)fe->reviewed / n, "accuracy_when_not_reviewed",
                     unrev ? (double)fe->correct_unreviewed / (double)unrev : 0.0, "labels", labels,
                     "confusion", matrix);
}

static void print_table(const struct field_eval *fe, const struct kb_eval *ke, double threshold)
{
    static const struct {
        int field;
        const char *what;
        double goal;
    } goals[] = {{SD_TRI_CATEGORY, "macro-F1", 0.85}, {SD_TRI_URGENCY, "accuracy", 0.80}};
    (void)printf("%-14s %6s %9s %9s %8s %14s\n", "field", "n", "accuracy", "macro-F1", "review",
                 "acc. decided");
    for (int f = 0; f < SD_TRI_N; f++) {
        const struct field_eval *e = &fe[f];
        double n = e->n ? (double)e->n : 1;
        long long unrev = e->n - e->reviewed;
        (void)printf("%-14s %6lld %9.3f %9.3f %7.1f%% %14.3f\n", sd_triage_field_names[f], e->n,
                     (double)e->correct / n, macro_f1(e), 100.0 * (double)e->reviewed / n,
                     unrev ? (double)e->correct_unreviewed / (double)unrev : 0.0);
    }
    for (int f = 0; f < SD_TRI_N; f++) {
        const struct field_eval *e = &fe[f];
        (void)printf("\n%s: rows are the labels, columns the predictions\n%-16s",
                     sd_triage_field_names[f], "");
        for (size_t p = 0; p < e->n_classes; p++) {
            (void)printf(" %8.8s", e->classes[p]);
        }
        for (size_t g = 0; g < e->n_classes; g++) {
            (void)printf("\n%-16.16s", e->classes[g]);
            for (size_t p = 0; p < e->n_classes; p++) {
                (void)printf(" %8lld", e->confusion[g][p]);
            }
        }
        (void)printf("\n");
    }
    double with = ke->with_article ? (double)ke->with_article : 1;
    (void)printf("\nknowledge base: %lld tickets, %lld answered by an article\n", ke->n_tickets,
                 ke->with_article);
    (void)printf("  shown automatically (confidence >= %.2f): %lld, precision %.3f, recall %.3f\n",
                 threshold, ke->shown,
                 ke->shown ? (double)ke->shown_right / (double)ke->shown : 0.0,
                 (double)ke->shown_right / with);
    (void)printf("  top-1 hit rate %.3f, top-3 hit rate %.3f\n", (double)ke->top1 / with,
                 (double)ke->top3 / with);
    (void)printf("  by threshold:  ");
    for (int c = 0; c < CURVE_POINTS; c++) {
        (void)printf(" %5.1f", (c + 1) / 10.0);
    }
    (void)printf("\n    shown        ");
    for (int c = 0; c < CURVE_POINTS; c++) {
        (void)printf(" %5lld", ke->curve_shown[c]);
    }
    (void)printf("\n    precision    ");
    for (int c = 0; c < CURVE_POINTS; c++) {
        (void)printf(" %5.2f", ke->curve_shown[c]
                                   ? (double)ke->curve_right[c] / (double)ke->curve_shown[c]
                                   : 0.0);
    }
    (void)printf("\n    recall       ");
    for (int c = 0; c < CURVE_POINTS; c++) {
        (void)printf(" %5.2f", (double)ke->curve_right[c] / with);
    }
    (void)printf("\n");
    (void)printf("\ngoals:\n");
    for (size_t i = 0; i < SD_ARRAY_LEN(goals); i++) {
        const struct field_eval *e = &fe[goals[i].field];
        double v = goals[i].field == SD_TRI_CATEGORY
                       ? macro_f1(e)
                       : (double)e->correct / (e->n ? (double)e->n : 1);
        (void)printf("  %-12s %-8s >= %.2f: %.3f %s\n", sd_triage_field_names[goals[i].field],
                     goals[i].what, goals[i].goal, v, v >= goals[i].goal ? "met" : "NOT MET");
    }
    double prec = ke->shown ? (double)ke->shown_right / (double)ke->shown : 0;
    double rec = (double)ke->shown_right / with;
    (void)printf("  %-12s %-8s >= %.2f: %.3f %s\n", "kb", "precision", 0.90, prec,
                 prec >= 0.90 ? "met" : "NOT MET");
    (void)printf("  %-12s %-8s >= %.2f: %.3f %s\n", "kb", "recall", 0.50, rec,
                 rec >= 0.50 ? "met" : "NOT MET");
}

static sd_status run_eval(sd_db *db, sd_arena *a, const struct opts *o, const char *tickets_path,
                          double threshold, struct sd_err *err)
{
    struct sd_buf ab = SD_BUF_INIT(FILE_MAX), tb = SD_BUF_INIT(FILE_MAX);
    struct sd_corpus_article *arts = NULL;
    struct sd_corpus_ticket *tks = NULL;
    size_t n_arts = 0, n_tks = 0;
    sd_status st = sd_buf_read_file(&ab, o->kb, err);
    if (st == SD_OK) {
        st = sd_corpus_articles(a, o->kb, sd_buf_cstr(&ab), ab.len, &arts, &n_arts, err);
    }
    if (st == SD_OK) {
        st = sd_buf_read_file(&tb, tickets_path, err);
    }
    if (st == SD_OK) {
        st = sd_corpus_tickets(a, tickets_path, sd_buf_cstr(&tb), tb.len, &tks, &n_tks, err);
    }
    sd_buf_release(&ab);
    sd_buf_release(&tb);
    const char *ws = NULL;
    if (st == SD_OK) {
        st = scratch_workspace(db, a, arts, n_arts, &ws, err);
    }
    sd_analyzer *an = NULL;
    if (st == SD_OK) {
        st = sd_analyzer_new(o->model, NULL, &an, err);
    }
    struct field_eval *fe = calloc(SD_TRI_N, sizeof *fe);
    struct kb_eval ke = {0};
    char settings[128];
    (void)snprintf(settings, sizeof settings, "{\"triage\": {\"kb_threshold\": %.6f}}", threshold);
    for (size_t i = 0; i < n_tks && st == SD_OK; i++) {
        const struct sd_corpus_ticket *t = &tks[i];
        sd_arena *ta = sd_arena_new();
        struct sd_analyze_input in = {.text = t->ex.in.text,
                                      .plan = t->ex.in.plan,
                                      .page_url = t->ex.in.page_url,
                                      .n_console_errors = t->ex.in.n_console_errors};
        struct sd_analysis r;
        st = sd_analyze(an, db, ta, ws, settings, &in, &r, err);
        for (int f = 0; f < SD_TRI_N && st == SD_OK; f++) {
            const char *gold = t->ex.label[f];
            const struct sd_triage_value *v = &r.triage.f[f];
            if (gold == NULL) {
                continue;
            }
            struct field_eval *e = &fe[f];
            size_t g = class_index(e, gold);
            size_t p = class_index(e, sd_arena_strdup(a, v->value));
            e->confusion[g][p]++;
            e->n++;
            e->correct += g == p;
            e->reviewed += v->review;
            e->correct_unreviewed += !v->review && g == p;
        }
        /* The article ids of the file are the external ids of the scratch
         * workspace's articles: map the hits back through their titles. */
        ke.n_tickets++;
        if (st == SD_OK) {
            const char *ext[SD_ANALYSIS_MATCHES] = {NULL};
            for (size_t k = 0; k < r.n_matches; k++) {
                struct sd_kb_article art;
                if (sd_store_kb_get(db, ta, ws, r.matches[k].id, &art, NULL) == SD_OK) {
                    ext[k] = art.external_id;
                }
            }
            bool shown = r.confident;
            const char *gold = t->kb_article;
            ke.shown += shown;
            bool right = gold && ext[0] && strcmp(ext[0], gold) == 0;
            for (int c = 0; c < CURVE_POINTS && r.n_matches > 0; c++) {
                if (r.matches[0].confidence >= (c + 1) / 10.0) {
                    ke.curve_shown[c]++;
                    ke.curve_right[c] += right;
                }
            }
            if (gold != NULL) {
                ke.with_article++;
                bool first = ext[0] && strcmp(ext[0], gold) == 0;
                bool any = false;
                for (size_t k = 0; k < r.n_matches; k++) {
                    any = any || (ext[k] && strcmp(ext[k], gold) == 0);
                }
                ke.top1 += first;
                ke.top3 += any;
                ke.shown_right += shown && first;
            }
        }
        sd_arena_free(ta);
    }
    if (st == SD_OK) {
        if (o->json) {
            json_t *j = json_object();
            json_t *fields = json_object();
            for (int f = 0; f < SD_TRI_N; f++) {
                (void)json_object_set_new(fields, sd_triage_field_names[f], field_json(&fe[f]));
            }
            (void)json_object_set_new(j, "tickets", json_integer((json_int_t)n_tks));
            (void)json_object_set_new(j, "articles", json_integer((json_int_t)n_arts));
            (void)json_object_set_new(j, "fields", fields);
            double with = ke.with_article ? (double)ke.with_article : 1;
            (void)json_object_set_new(
                j, "kb",
                json_pack("{s:f, s:I, s:I, s:f, s:f, s:f, s:f}", "threshold", threshold,
                          "with_article", (json_int_t)ke.with_article, "shown",
                          (json_int_t)ke.shown, "precision",
                          ke.shown ? (double)ke.shown_right / (double)ke.shown : 0.0, "recall",
                          (double)ke.shown_right / with, "top1", (double)ke.top1 / with, "top3",
                          (double)ke.top3 / with));
            json_t *curve = json_array();
            for (int c = 0; c < CURVE_POINTS; c++) {
                (void)json_array_append_new(
                    curve, json_pack("{s:f, s:I, s:f, s:f}", "threshold", (c + 1) / 10.0, "shown",
                                     (json_int_t)ke.curve_shown[c], "precision",
                                     ke.curve_shown[c]
                                         ? (double)ke.curve_right[c] / (double)ke.curve_shown[c]
                                         : 0.0,
                                     "recall", (double)ke.curve_right[c] / with));
            }
            (void)json_object_set_new(json_object_get(j, "kb"), "by_threshold", curve);
            (void)json_object_set_new(j, "model", json_string(sd_analyzer_source(an)));
            print_json(j);
        } else {
            (void)printf("%zu tickets, %zu articles, model: %s\n\n", n_tks, n_arts,
                         sd_analyzer_source(an));
            print_table(fe, &ke, threshold);
        }
    }
    free(fe);
    sd_analyzer_free(an);
    return st;
}

int sd_cmd_eval(int argc, char **argv, char **envp)
{
    struct opts o = {0};
    char *cfg_argv[64];
    int cfg_argc = 0;
    int rc = split_args("eval", argc, argv, &o, cfg_argv, &cfg_argc);
    if (rc != 0) {
        return rc;
    }
    for (int i = 1; i < cfg_argc; i++) {
        if (strcmp(cfg_argv[i], "--help") == 0 || strcmp(cfg_argv[i], "-h") == 0) {
            (void)fputs(eval_usage, stdout);
            return 0;
        }
    }
    if (o.kb == NULL || cfg_argc != 2) {
        (void)fputs(eval_usage, stderr);
        return 2;
    }
    double threshold = SD_KB_THRESHOLD_DEFAULT;
    if (o.threshold != NULL) {
        char *end;
        threshold = strtod(o.threshold, &end);
        if (*end != '\0' || !(threshold >= 0 && threshold <= 1)) {
            (void)fprintf(stderr, "showdesk eval: --threshold must be a number from 0 to 1\n");
            return 2;
        }
    }
    /* A scratch SQLite database in a private temporary folder. */
    struct sd_err err = SD_ERR_INIT;
    const char *tmp = getenv("TMPDIR");
    char dir[PATH_MAX], url[PATH_MAX + 32];
    (void)snprintf(dir, sizeof dir, "%s/showdesk-eval.XXXXXX", tmp && tmp[0] ? tmp : "/tmp");
    if (mkdtemp(dir) == NULL) {
        (void)sd_err_set(&err, SD_E_IO, NULL,
                         "cannot create a temporary folder in %s: %s (set TMPDIR)",
                         tmp && tmp[0] ? tmp : "/tmp", strerror(errno));
        return sd_cmd_fail("eval", &err);
    }
    (void)snprintf(url, sizeof url, "sqlite:%s/eval.db", dir);
    struct sd_store_opts so = {.url = url, .n_conns = 1};
    sd_store *store = NULL;
    sd_db *db = NULL;
    sd_status st = sd_store_open(&so, &store, &err);
    if (st == SD_OK) {
        st = sd_store_get(store, &db, &err);
    }
    if (st == SD_OK) {
        st = sd_store_migrate(db, NULL, &err);
    }
    sd_arena *a = sd_arena_new();
    if (st == SD_OK) {
        st = run_eval(db, a, &o, cfg_argv[1], threshold, &err);
    }
    sd_arena_free(a);
    sd_store_put(store, db);
    sd_store_close(store);
    char path[PATH_MAX + 16];
    static const char *const files[] = {"eval.db", "eval.db-wal", "eval.db-shm"};
    for (size_t i = 0; i < SD_ARRAY_LEN(files); i++) {
        (void)snprintf(path, sizeof path, "%s/%s", dir, files[i]);
        (void)unlink(path);
    }
    (void)rmdir(dir);
    (void)envp;
    return st == SD_OK ? 0 : sd_cmd_fail("eval", &err);
}

/* ---- kb import ----------------------------------------------------------------- */

static const char kb_usage[] =
    "usage: showdesk kb import ARTICLES.jsonl --workspace ID [--data DIR] [--db URL]\n\n"
    "Imports help articles, one JSON object per line: {\"id\", \"title\", \"body\"\n"
    "(Markdown), \"tags\": [...], \"product_area\"}. An article whose id was imported\n"
    "before is updated; the others are created, published.\n";

static const char *import_path;

sd_status sd_cmd_put_articles(sd_db *db, sd_arena *a, const char *ws,
                              const struct sd_corpus_article *arts, size_t n, long long *created,
                              long long *updated, struct sd_err *err)
{
    int64_t now = sd_clock_wall_ms();
    sd_status st = SD_OK;
    for (size_t i = 0; i < n && st == SD_OK; i++) {
        json_t *tags = json_array();
        for (size_t t = 0; t < arts[i].n_tags; t++) {
            (void)json_array_append_new(tags, json_string(arts[i].tags[t]));
        }
        char *tj = json_dumps(tags, JSON_COMPACT);
        json_decref(tags);
        struct sd_kb_article k;
        if (sd_store_kb_find_external(db, a, ws, arts[i].id, &k, NULL) == SD_OK &&
            k.deleted_at == 0) {
            k.title = arts[i].title;
            k.body = arts[i].body;
            k.tags = tj ? tj : "[]";
            k.product_area = arts[i].product_area;
            k.updated_at = now;
            st = sd_store_kb_update(db, &k, err);
            ++*updated;
        } else {
            char kid[SD_ID_MAX];
            sd_id_new("kba", kid);
            k = (struct sd_kb_article){.id = kid,
                                       .workspace_id = ws,
                                       .created_at = now,
                                       .external_id = arts[i].id,
                                       .title = arts[i].title,
                                       .body = arts[i].body,
                                       .tags = tj ? tj : "[]",
                                       .product_area = arts[i].product_area,
                                       .status = "published",
                                       .updated_at = now};
            st = sd_store_kb_insert(db, &k, err);
            ++*created;
        }
        free(tj);
    }
    return st;
}

static sd_status kb_import(sd_db *db, sd_arena *a, const struct opts *o, json_t **out,
                           struct sd_err *err)
{
    struct sd_buf b = SD_BUF_INIT(FILE_MAX);
    struct sd_corpus_article *arts = NULL;
    size_t n = 0;
    sd_status st = sd_buf_read_file(&b, import_path, err);
    if (st == SD_OK) {
        st = sd_corpus_articles(a, import_path, sd_buf_cstr(&b), b.len, &arts, &n, err);
    }
    sd_buf_release(&b);
    struct sd_workspace w;
    if (st == SD_OK) {
        st = sd_store_workspace_get(db, a, o->workspace, &w, err);
    }
    if (st == SD_OK) {
        st = sd_store_begin(db, err);
    }
    long long created = 0, updated = 0;
    if (st == SD_OK) {
        st = sd_cmd_put_articles(db, a, o->workspace, arts, n, &created, &updated, err);
    }
    if (st == SD_OK) {
        st = sd_store_commit(db, err);
    } else {
        sd_store_rollback(db);
    }
    if (st == SD_OK) {
        *out = json_pack("{s:s, s:I, s:I}", "workspace_id", o->workspace, "created",
                         (json_int_t)created, "updated", (json_int_t)updated);
    }
    return st;
}

int sd_cmd_kb(int argc, char **argv, char **envp)
{
    struct opts o = {0};
    struct sd_config cfg;
    char *rest[3];
    size_t n_rest = 0;
    int rc = command_args("kb", kb_usage, argc, argv, envp, &o, &cfg, rest, 3, &n_rest);
    if (rc >= 0) {
        return rc;
    }
    if (n_rest != 2 || strcmp(rest[0], "import") != 0 || o.workspace == NULL) {
        (void)fputs(kb_usage, stderr);
        return 2;
    }
    import_path = rest[1];
    return with_store("kb", &cfg, kb_import, &o);
}

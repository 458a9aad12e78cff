/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * DESIGN: argv → subcommand, nothing else. Each subcommand lives in
 * src/cmd/ and has its own --help.
 */
#include <stdio.h>
#include <string.h>

#include "cmd/cmd.h"
#include "base/banned.h"

struct subcommand {
    const char *name;
    int (*run)(int argc, char **argv, char **envp);
    const char *summary;
};

static const struct subcommand commands[] = {
    {"serve", sd_cmd_serve, "run the server: HTTP API and job workers (the default setup)"},
    {"worker", sd_cmd_worker, "run job workers only, beside 'serve --no-workers' processes"},
    {"migrate", sd_cmd_migrate, "apply database migrations and exit"},
    {"admin", sd_cmd_admin, "manage workspaces, agents and API keys from the shell"},
    {"demo", sd_cmd_demo, "create or refresh a demo workspace and print its credentials"},
    {"transcribe", sd_cmd_transcribe, "print the speech in a recording as text, WebVTT or JSON"},
    {"triage", sd_cmd_triage, "print the category, urgency, area, sentiment and summary of a text"},
    {"train", sd_cmd_train, "train the triage models (the default one, or a workspace's own)"},
    {"eval", sd_cmd_eval, "measure triage and help-article matching on labelled tickets"},
    {"kb", sd_cmd_kb, "import help articles into a workspace"},
    {"version", sd_cmd_version, "print the version"},
};

static void usage(FILE *out)
{
    (void)fprintf(out, "usage: showdesk <command> [options]\n\ncommands:\n");
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
        (void)fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
    }
    (void)fprintf(out, "\n'showdesk <command> --help' describes a command's options.\n");
}

int main(int argc, char **argv, char **envp)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    const char *name = argv[1];
    if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0 || strcmp(name, "help") == 0) {
        usage(stdout);
        return 0;
    }
    if (strcmp(name, "--version") == 0) {
        name = "version";
    }
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
        if (strcmp(commands[i].name, name) == 0) {
            return commands[i].run(argc - 1, argv + 1, envp);
        }
    }
    (void)fprintf(stderr, "showdesk: unknown command '%s' (see 'showdesk --help')\n", name);
    return 2;
}

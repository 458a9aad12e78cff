/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * Fuzz target: the config file parser (sd_config_parse_file_text) on
 * untrusted text. Any input ends in SD_OK or an error with a message.
 */
#include <stddef.h>
#include <stdint.h>

#include "config/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct sd_config cfg;
    struct sd_err err = SD_ERR_INIT;
    sd_config_defaults(&cfg);
    sd_status st = sd_config_parse_file_text(&cfg, (const char *)data, size, "fuzz.conf", &err);
    if (st != SD_OK && err.msg[0] == '\0') {
        __builtin_trap();
    }
    if (st == SD_OK && (cfg.listen_port < 0 || cfg.listen_port > 65535)) {
        __builtin_trap();
    }
    return 0;
}

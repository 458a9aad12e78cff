/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Input checks; see validate.h. */
#include "domain/validate.h"

#include <string.h>

#include "base/utf8.h"
#include "base/banned.h"

sd_status sd_validate_email(const char *field, const char *email, char out[SD_EMAIL_MAX + 1],
                            struct sd_err *err)
{
    size_t n = strlen(email);
    const char *at = strchr(email, '@');
    if (n == 0 || n > SD_EMAIL_MAX || at == NULL || at == email || strchr(at + 1, '@') != NULL ||
        strchr(at + 1, '.') == NULL || at[1] == '.' || email[n - 1] == '.') {
        return sd_err_set(err, SD_E_INVALID, field,
                          "'%s' must be an email address like name@example.com", field);
    }
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)email[i];
        if (c <= ' ' || c == 0x7f || c == '<' || c == '>' || c == ',' || c == ';' || c == '"') {
            return sd_err_set(err, SD_E_INVALID, field,
                              "'%s' has a character not allowed in an email address", field);
        }
        out[i] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
    }
    out[n] = '\0';
    if (!sd_utf8_valid(out, n)) {
        return sd_err_set(err, SD_E_INVALID, field, "'%s' is not valid UTF-8", field);
    }
    return SD_OK;
}

sd_status sd_validate_origin(const char *field, const char *origin, struct sd_err *err)
{
    const char *host;
    if (strncmp(origin, "https://", 8) == 0) {
        host = origin + 8;
    } else if (strncmp(origin, "http://", 7) == 0) {
        host = origin + 7;
    } else {
        return sd_err_set(err, SD_E_INVALID, field,
                          "'%s' must be an origin like https://app.example.com", field);
    }
    size_t n = strlen(host);
    if (n == 0 || n > 253) {
        return sd_err_set(err, SD_E_INVALID, field, "'%s' has no host", field);
    }
    for (size_t i = 0; i < n; i++) {
        char c = host[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
                  c == ':' || c == '[' || c == ']';
        if (!ok) {
            return sd_err_set(err, SD_E_INVALID, field,
                              "'%s' must be scheme://host[:port] in lowercase, with no path, "
                              "got '%.100s'",
                              field, origin);
        }
    }
    return SD_OK;
}

sd_status sd_validate_id(const char *field, const char *id, const char *prefix, struct sd_err *err)
{
    size_t pn = strlen(prefix);
    size_t n = strlen(id);
    bool ok = n == pn + 1 + 26 && strncmp(id, prefix, pn) == 0 && id[pn] == '_';
    for (size_t i = pn + 1; ok && i < n; i++) {
        char c = id[i];
        ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z');
    }
    if (!ok) {
        return sd_err_set(err, SD_E_INVALID, field, "'%s' must be an id like %s_…", field, prefix);
    }
    return SD_OK;
}

sd_status sd_validate_password(const char *field, const char *password, struct sd_err *err)
{
    size_t n = sd_utf8_len(password, strlen(password));
    if (n < 10 || n > 200) {
        return sd_err_set(err, SD_E_INVALID, field, "'%s' must be 10 to 200 characters", field);
    }
    return SD_OK;
}

/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * DESIGN: the blob store: media and derived files, encrypted at rest unless
 * the store is opened to write them plain.
 *
 * Objects are named by the caller (ids: [a-z0-9_-], 1 to 64 characters) and
 * reached only through this interface, never by a path, so that the S3
 * driver can take the same calls. By default every object is sealed
 * (seal.h) with its own key, wrapped by the master key and kept apart from
 * the data; deleting an object destroys its key first. A store opened with
 * sd_blob_opts.is_plain writes new objects unencrypted instead, so that they
 * can go out with sendfile (sd_blob_open_plain_fd); the format is per
 * object, and every call handles both, so objects written before the option
 * changed stay readable, resumable and deletable. A zeroed sd_blob_opts is
 * the encrypted default.
 *
 * Objects are written by appending, because uploads arrive in pieces and may
 * stop at any moment: sd_blob_create or sd_blob_resume gives a writer,
 * sd_blob_write appends, sd_blob_sync makes everything written so far
 * durable (a crash after it loses nothing), and sd_blob_finish closes the
 * object for good. Memory stays at one chunk per writer whatever the size.
 * After an SD_E_IO from a writer (disk full, file size limit) the writer
 * refuses further calls: close it and resume, which finds the last durable
 * size with the data intact. Complete objects are read at any offset (HTTP
 * Range): an sd_blob_reader opens the files once and decrypts only the
 * 64 KiB chunks a read touches, keeping the last one for the next read;
 * sd_blob_read is the one-shot form.
 *
 * Local driver layout, for DIR/NAME. Sealed: NAME.key (the wrapped key),
 * NAME.data (seal header, then records of generation + sealed 64 KiB chunk)
 * and, while incomplete, NAME.tail (the sealed partial last chunk, replaced
 * atomically at each sync). A writer never seals two plaintexts under one
 * nonce: each record gets a fresh generation, and a resumed writer skips
 * 2^32 of them past the last synced one. Plain: NAME.plain (the marker:
 * "SDPLAIN1" and a random 16-byte id), NAME.data (exactly the object's
 * bytes) and, while incomplete, NAME.tail ("SDPTAIL1" and the durable size,
 * replaced atomically at each sync; made before NAME.data exists). In both,
 * NAME.key or NAME.plain says the object exists and which format it has, and
 * NAME.tail says it is incomplete: that state survives restarts and crashes.
 * Resuming a plain object cuts NAME.data back to the synced size, since
 * bytes written after a sync cannot be trusted after a crash; resuming a
 * sealed one keeps whole records that reached the disk (they are
 * authenticated) plus the synced tail, so it may give more than the synced
 * size, never less.
 *
 * Validators for HTTP caching (sd_blob_info): mtime_s is the data file's
 * modification time; etag is a strong ETag, "\"<24 hex>-<size hex>\"", from
 * the object's random id (the seal header's nonce, or the plain marker's id)
 * and its size. A complete object never changes, and a new object under the
 * same name gets a new id, so the ETag changes exactly when the bytes can.
 *
 * Threads: an sd_blob is MT safe; a writer is used by one thread at a time,
 * and one writer at a time per object (the caller's upload lock); a reader
 * is used by one thread at a time, any number per object.
 */
#ifndef SD_BLOB_BLOB_H
#define SD_BLOB_BLOB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "blob/seal.h"

typedef struct sd_blob sd_blob;
typedef struct sd_blob_writer sd_blob_writer;
typedef struct sd_blob_reader sd_blob_reader;

#define SD_BLOB_ETAG_LEN 48 /* '"' + 24 hex + '-' + 16 hex + '"' + NUL, rounded up */

struct sd_blob_info {
    uint64_t size;               /* plaintext bytes, durable ones for incomplete objects */
    bool is_complete;            /* finished: readable, no longer appendable */
    bool is_sealed;              /* encrypted at rest; false: plain, sd_blob_open_plain_fd works */
    int64_t mtime_s;             /* last change of the data, Unix seconds (HTTP Last-Modified) */
    char etag[SD_BLOB_ETAG_LEN]; /* strong ETag with its quotes; "" while incomplete */
};

struct sd_blob_opts {
    bool is_plain; /* write new objects unencrypted (reading handles both) */
};

/**
 * Opens the store in @dir (created if missing) with @opts (nullable: the
 * defaults, encrypted); @master is copied, and is needed in plain mode too,
 * to read the sealed objects. Caller owns the store.
 */
SD_MUST_CHECK sd_status sd_blob_open_opts(const char *dir, const struct sd_seal_key *master,
                                          const struct sd_blob_opts *opts, sd_blob **out,
                                          struct sd_err *err);
/** sd_blob_open_opts with the defaults: new objects are sealed. */
SD_MUST_CHECK sd_status sd_blob_open(const char *dir, const struct sd_seal_key *master,
                                     sd_blob **out, struct sd_err *err);
/** Wipes the master key and frees the store; NULL is a no-op. */
void sd_blob_close(sd_blob *b);

/** Starts object @name; SD_E_CONFLICT when it exists. Caller owns the writer. */
SD_MUST_CHECK sd_status sd_blob_create(sd_blob *b, const char *name, sd_blob_writer **out,
                                       struct sd_err *err);
/**
 * Resumes the incomplete object @name after its last durable byte, which
 * *@size_out gives (at least the size at the last sync; see DESIGN), in the
 * object's own format. SD_E_NOT_FOUND, or SD_E_CONFLICT when it is complete.
 */
SD_MUST_CHECK sd_status sd_blob_resume(sd_blob *b, const char *name, sd_blob_writer **out,
                                       uint64_t *size_out, struct sd_err *err);
/**
 * Appends @n bytes. SD_E_IO when the disk refuses (full, gone, file size
 * limit); the writer then refuses every call but close.
 */
SD_MUST_CHECK sd_status sd_blob_write(sd_blob_writer *w, const void *data, size_t n,
                                      struct sd_err *err);
/** Bytes written so far, durable or not. */
uint64_t sd_blob_writer_size(const sd_blob_writer *w);
/** Makes every byte written so far durable. */
SD_MUST_CHECK sd_status sd_blob_sync(sd_blob_writer *w, struct sd_err *err);
/** Seals the last chunk and marks the object complete; then only close the writer. */
SD_MUST_CHECK sd_status sd_blob_finish(sd_blob_writer *w, struct sd_err *err);
/** Frees the writer; bytes written after the last sync may be lost. NULL is a no-op. */
void sd_blob_writer_close(sd_blob_writer *w);

/** Size, state, format and validators of @name. SD_E_NOT_FOUND when absent. */
SD_MUST_CHECK sd_status sd_blob_stat(sd_blob *b, const char *name, struct sd_blob_info *out,
                                     struct sd_err *err);
/**
 * Reads up to @n plaintext bytes of the complete object @name from @off into
 * @buf; *@got_out is less than @n only at the end. SD_E_CONFLICT while it is
 * incomplete, SD_E_IO when stored bytes fail authentication. Opens and
 * closes the object each time: to stream, use an sd_blob_reader.
 */
SD_MUST_CHECK sd_status sd_blob_read(sd_blob *b, const char *name, uint64_t off, void *buf,
                                     size_t n, size_t *got_out, struct sd_err *err);

/**
 * Opens the complete object @name for reading, in either format: its files
 * and key are opened once, and the reader keeps reading that version even
 * if the object is deleted meanwhile. SD_E_NOT_FOUND, SD_E_CONFLICT while
 * incomplete. Caller owns the reader (one thread at a time; two 64 KiB
 * buffers for a sealed object).
 */
SD_MUST_CHECK sd_status sd_blob_reader_open(sd_blob *b, const char *name, sd_blob_reader **out,
                                            struct sd_err *err);
/** The object's size, format and validators; borrowed, valid until close. */
const struct sd_blob_info *sd_blob_reader_info(const sd_blob_reader *r);
/**
 * Reads up to @n bytes from @off into @buf, as sd_blob_read does, decrypting
 * only the chunks the range touches (the last chunk is kept for the next
 * call, so sequential reads of any size decrypt each chunk once).
 */
SD_MUST_CHECK sd_status sd_blob_reader_read(sd_blob_reader *r, uint64_t off, void *buf, size_t n,
                                            size_t *got_out, struct sd_err *err);
/** Closes the files and wipes the key and the plaintext; NULL is a no-op. */
void sd_blob_reader_close(sd_blob_reader *r);

/**
 * Opens the data of the complete plain object @name (O_RDONLY | O_CLOEXEC)
 * for sendfile: its bytes are the object's, offset for offset, and
 * *@size_out of them. Caller owns *@fd_out and closes it. SD_E_UNSUPPORTED
 * for a sealed object (use a reader), SD_E_CONFLICT while incomplete,
 * SD_E_NOT_FOUND.
 */
SD_MUST_CHECK sd_status sd_blob_open_plain_fd(sd_blob *b, const char *name, int *fd_out,
                                              uint64_t *size_out, struct sd_err *err);
/**
 * Destroys the object's key (or plain marker), then its data, in either
 * format. SD_E_NOT_FOUND when absent. Open readers and fds keep their data.
 */
SD_MUST_CHECK sd_status sd_blob_delete(sd_blob *b, const char *name, struct sd_err *err);

/**
 * Cuts an open writer back to @at bytes (at most its size), durably: the
 * bytes after @at are gone, also after a crash. A resumed upload uses it to
 * drop bytes that reached the disk but were never acknowledged.
 */
SD_MUST_CHECK sd_status sd_blob_writer_truncate(sd_blob_writer *w, uint64_t at, struct sd_err *err);

#endif

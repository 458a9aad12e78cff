/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * DESIGN: the 44-byte RIFF/WAVE header of 16-bit mono PCM, the sound format
 * media writes for speech and the transcription endpoint is sent. Pure, MT
 * safe.
 */
#ifndef SD_BASE_WAV_H
#define SD_BASE_WAV_H

#include <stdint.h>

#define SD_WAV_HEADER 44

/** Writes the header of @data_bytes of 16-bit mono PCM at @rate Hz into @h. */
void sd_wav_header(unsigned char h[SD_WAV_HEADER], uint32_t rate, uint32_t data_bytes);

#endif

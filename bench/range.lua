-- SPDX-License-Identifier: AGPL-3.0-or-later
-- make bench (bench/run.sh): wrk script of the range reads entry. Every
-- request asks for one random slice of the file, "Range: bytes=A-B", of LEN
-- bytes. Each wrk thread draws from its own generator, seeded by its number,
-- so every target gets the same sequence of ranges.
--
--   wrk -s bench/range.lua URL -- SIZE [LEN]
local size, len, headers
local threads = 0

function setup(thread)
    threads = threads + 1
    thread:set("seed", threads)
end

function init(args)
    size = tonumber(args[1])
    len = tonumber(args[2] or 1048576)
    math.randomseed(seed)
    headers = {}
    for k, v in pairs(wrk.headers) do
        headers[k] = v
    end
end

function request()
    local a = math.random(0, size - len)
    headers["Range"] = "bytes=" .. a .. "-" .. (a + len - 1)
    return wrk.format(nil, nil, headers)
end

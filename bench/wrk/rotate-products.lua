-- Product pages, each id in turn: wrk ... -s bench/wrk/rotate-products.lua URL -- FILE (one id a line).
local ids = {}
local next_id = 0

function init(args)
    for line in io.lines(args[1]) do ids[#ids + 1] = line end
end

function request()
    next_id = next_id % #ids + 1
    return wrk.format("GET", "/v1/products/" .. ids[next_id])
end

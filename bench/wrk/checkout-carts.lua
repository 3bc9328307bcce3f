-- Checkouts alone, of carts prepared before the clock starts: a launch drop, shoppers with their carts ready.
-- The file after `--` holds one prepared cart a line, "id token"; thread N of wrk -tT -cT takes lines N, N+T,
-- N+2T… and checks each out once. At the end it prints `checkouts N refused M errors E leftover L`: placed
-- (201), refused as out of stock (409), anything else, and carts never reached (too few were prepared).
--   wrk -t16 -c16 -d10s -s bench/wrk/checkout-carts.lua http://127.0.0.11:8081 -- carts.txt

local threads = {}
local count = 0

function setup(thread)
    count = count + 1
    thread:set("id", count)
    table.insert(threads, thread)
    -- Every thread is set up before any starts: each learns how many share the carts.
    for _, each in ipairs(threads) do each:set("total", count) end
end

function init(args)
    carts = {}
    local line_number = 0
    for line in io.lines(args[1]) do
        line_number = line_number + 1
        if line_number % total == id - 1 then
            local cart, token = line:match("^(%S+) (%S+)$")
            table.insert(carts, { cart = cart, token = token })
        end
    end
    next_cart, checkouts, refused, errors, leftover = 1, 0, 0, 0, #carts
    address = '{"name": "Launch Shopper", "line1": "1 Main Street", "city": "Springfield", "postal_code": "12345", "country": "US"}'
end

function request()
    local cart = carts[next_cart]
    if not cart then
        -- Every cart is checked out: wait out the run on a probe, which counts for nothing.
        return wrk.format("GET", "/health/live")
    end
    return wrk.format("POST", "/v1/orders",
        { ["Cart-Token"] = cart.token, ["Content-Type"] = "application/json", ["Idempotency-Key"] = cart.cart },
        '{"cart_id": "' .. cart.cart .. '", "email": "shopper@example.org", "shipping_address": ' .. address .. '}')
end

function response(status, headers, body)
    if not carts[next_cart] then return end
    next_cart = next_cart + 1
    leftover = leftover - 1
    if status == 201 then
        checkouts = checkouts + 1
    elseif status == 409 and body:find("out%-of%-stock") then
        refused = refused + 1
    else
        errors = errors + 1
    end
end

function done(summary, latency, requests)
    local checkouts, refused, errors, leftover = 0, 0, 0, 0
    for _, thread in ipairs(threads) do
        checkouts = checkouts + thread:get("checkouts")
        refused = refused + thread:get("refused")
        errors = errors + thread:get("errors")
        leftover = leftover + thread:get("leftover")
    end
    io.write(string.format("checkouts %d refused %d errors %d leftover %d\n", checkouts, refused, errors, leftover))
end

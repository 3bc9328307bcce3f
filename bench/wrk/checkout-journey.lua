-- The checkout journey through wrk, as light a client as pgbench is for the same statements: open a cart,
-- put a pair in it, check out with an Idempotency-Key; again. One connection a thread (wrk -tN -cN), so a
-- thread's state is its one shopper's. The SKUs come after `--`, comma-separated; each journey takes one.
--   wrk -t16 -c16 -d10s -s bench/wrk/checkout-journey.lua http://127.0.0.11:8081 -- SKU1,SKU2
-- At the end it prints `journeys N errors M`: a journey counts once its checkout answered 201; any other
-- answer is an error and starts a new journey.

local threads = {}
local counter = 0

function setup(thread)
    counter = counter + 1
    thread:set("id", counter)
    table.insert(threads, thread)
end

function init(args)
    skus = {}
    for sku in string.gmatch(args[1] or "", "[^,]+") do table.insert(skus, sku) end
    assert(#skus > 0, "no SKUs: pass them after --, comma-separated")
    math.randomseed(id * 7919 + os.time())
    step, journeys, errors, keys = "open", 0, 0, 0
    address = '{"name": "Launch Shopper", "line1": "1 Main Street", "city": "Springfield", "postal_code": "12345", "country": "US"}'
end

function request()
    if step == "open" then
        return wrk.format("POST", "/v1/carts")
    elseif step == "add" then
        local sku = skus[math.random(#skus)]
        return wrk.format("PUT", "/v1/carts/" .. cart .. "/items/" .. sku,
            { ["Cart-Token"] = token, ["Content-Type"] = "application/json" }, '{"quantity": 1}')
    else
        keys = keys + 1
        return wrk.format("POST", "/v1/orders",
            { ["Cart-Token"] = token, ["Content-Type"] = "application/json",
              ["Idempotency-Key"] = "wrk-" .. id .. "-" .. os.time() .. "-" .. keys },
            '{"cart_id": "' .. cart .. '", "email": "shopper@example.org", "shipping_address": ' .. address .. '}')
    end
end

function response(status, headers, body)
    if step == "open" and status == 201 then
        cart, token = body:match('"id":"([^"]+)"'), body:match('"token":"([^"]+)"')
        step = (cart and token) and "add" or "open"
        if step == "open" then errors = errors + 1 end
    elseif step == "add" and status == 200 then
        step = "checkout"
    elseif step == "checkout" and status == 201 then
        journeys = journeys + 1
        step = "open"
    else
        errors = errors + 1
        step = "open"
    end
end

function done(summary, latency, requests)
    local journeys, errors = 0, 0
    for _, thread in ipairs(threads) do
        journeys = journeys + thread:get("journeys")
        errors = errors + thread:get("errors")
    end
    io.write(string.format("journeys %d errors %d\n", journeys, errors))
end

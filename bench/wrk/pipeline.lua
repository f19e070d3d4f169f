-- pipeline.lua: wrk sends DEPTH requests for the URL's path in one write, and sends the next
-- batch when all their responses are in.
--
--     wrk -t1 -c64 -d3 -s bench/wrk/pipeline.lua http://127.0.0.1:8080/hello -- 16

init = function(args)
   local depth = tonumber(args[1]) or 16
   local batch = {}
   for i = 1, depth do
      batch[i] = wrk.format(nil, wrk.path)
   end
   pipelined = table.concat(batch)
end

request = function()
   return pipelined
end

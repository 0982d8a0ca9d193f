# cmake -DSRC=<node_modules> -DDST=<share dir> -P copy_assets.cmake: copies the dashboard's npm
# files that exist (missing ones are skipped: the page works without them).
file(MAKE_DIRECTORY ${DST})
foreach(pair "uplot/dist/uPlot.iife.min.js" "uplot/dist/uPlot.min.css" "hls.js/dist/hls.min.js")
  get_filename_component(name ${pair} NAME)
  if(EXISTS ${SRC}/${pair})
    file(COPY_FILE ${SRC}/${pair} ${DST}/${name} ONLY_IF_DIFFERENT)
  endif()
endforeach()

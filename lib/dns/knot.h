// The one place lib/dns includes libknot (its headers lack extern "C"). Internal: only lib/dns
// .cc files and arena.h include it; nothing outside lib/dns sees a libknot type.
#pragma once

extern "C" {
#include <libknot/libknot.h>
}

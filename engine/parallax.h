/* SPDX-License-Identifier: MIT */
/*
 * parallax.h - the umbrella header: everything an embedding program needs.
 * Installed as <parallax/parallax.h>; compile with `pkg-config --cflags parallax`.
 * Stability: public API, changed only with the ABI version (px_plugin.h).
 */
#ifndef PARALLAX_H
#define PARALLAX_H

#include "px_appsink.h"
#include "px_base.h"
#include "px_buf.h"
#include "px_bus.h"
#include "px_caps.h"
#include "px_conn.h"
#include "px_crc32c.h"
#include "px_debug.h"
#include "px_element.h"
#include "px_elements.h"
#include "px_error.h"
#include "px_list.h"
#include "px_pipeline.h"
#include "px_plugin.h"
#include "px_pool.h"
#include "px_probe.h"
#include "px_record.h"
#include "px_reactor.h"
#include "px_registry.h"
#include "px_typed.h"
#include "px_segment.h"
#include "px_ring.h"
#include "px_version.h"

#endif /* PARALLAX_H */

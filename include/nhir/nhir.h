/*
 * nhir: incident response for non-human identities.  Umbrella header.
 */
#ifndef NHIR_H
#define NHIR_H

#include "nhir/error.h"
#include "nhir/buf.h"
#include "nhir/ctx.h"
#include "nhir/model.h"
#include "nhir/store.h"
#include "nhir/graph.h"
#include "nhir/blast.h"
#include "nhir/ingest.h"
#include "nhir/event.h"
#include "nhir/usage.h"
#include "nhir/version.h"
#include "nhir/record.h"
#include "nhir/finding.h"
#include "nhir/route.h"
#include "nhir/plan.h"
#include "nhir/visible.h"
#include "nhir/view.h"
#include "nhir/watch.h"

#endif

#ifndef NHIR_VERSION_H
#define NHIR_VERSION_H

#define NHIR_VERSION "0.1.0"

#endif

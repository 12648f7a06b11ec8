/* version.h: the release of waverunner. */
#ifndef version_h
#define version_h

#define WAVERUNNER_VERSION "0.1.0"

#endif

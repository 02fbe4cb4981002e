#pragma once

#include <QLoggingCategory>

// podtap.capture: the capture engine: pcap ingest, decode, connection tracking, reassembly.
Q_DECLARE_LOGGING_CATEGORY(lcCapture)

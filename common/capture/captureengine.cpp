#include "captureengine.h"

namespace podtap {

CaptureEngine::CaptureEngine(const EngineConfig &config)
    : m_tracker(config)
{
    m_reader.setPacketCallback([this](const RawPacket &p) { onPacket(p); });
}

bool CaptureEngine::feed(const std::uint8_t *data, std::size_t size)
{
    return m_reader.feed(data, size);
}

void CaptureEngine::onPacket(const RawPacket &packet)
{
    if (!m_filterExpression.empty()) {
        if (m_filter.linkType() != packet.linkType) {
            std::string error;
            if (!m_filter.compile(m_filterExpression, packet.linkType, m_reader.snapLength(),
                                  &error))
                m_filterError = error;
        }
        if (!m_filter.isCompiled() || !m_filter.matches(packet)) {
            ++m_filteredOut;
            return;
        }
    }
    if (m_decoder.decode(packet, m_segment) == DecodeResult::Tcp)
        m_tracker.process(m_segment, packet);
    else if (m_otherPacket)
        m_otherPacket(packet);
}

void CaptureEngine::finish()
{
    m_reader.endOfStream();
    m_tracker.finish();
}

} // namespace podtap

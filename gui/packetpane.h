#pragma once

#include <QList>
#include <QPointer>
#include <QWidget>

#include <limits>

class QComboBox;
class QLabel;
class QTabWidget;
class QTableView;

namespace podtap {

class DaemonLink;
class FollowStreamView;
class HexView;
class PacketListModel;
class PacketTimelineWidget;

// The packet-level views of the selected session and connections, as tabs under the
// connection table: Timeline (packets over time), Packets (the list, paged from the index,
// and the selected packet's bytes, with filters by direction and TCP flags) and Stream (the
// reassembled conversation of the first selected connection). Clicking a timeline bin lists that
// bin's packets.
class PacketPane : public QWidget
{
    Q_OBJECT

public:
    enum Tab { TimelineTab, PacketsTab, StreamTab };

    explicit PacketPane(DaemonLink *link, QWidget *parent = nullptr);

    void setSession(const QString &sessionId, bool live);
    void setConnections(const QList<qint64> &connections);
    // Lists the packets (of the selected connections) in [fromNs, toNs].
    void showTimeRange(qint64 fromNs, qint64 toNs);
    // The list's own filters, besides the selected connections: -1/0 = any.
    void setDirectionFilter(int direction);
    void setFlagsFilter(quint8 flags);

    QString sessionId() const { return m_session; }
    PacketTimelineWidget *timeline() const { return m_timeline; }
    PacketListModel *packetModel() const { return m_packets; }
    QTableView *packetView() const { return m_packetView; }
    HexView *hexView() const { return m_hex; }
    FollowStreamView *streamView() const { return m_stream; }
    QTabWidget *tabs() const { return m_tabs; }
    QComboBox *directionBox() const { return m_direction; }
    QComboBox *flagsBox() const { return m_flags; }

Q_SIGNALS:
    void packetShown(qint64 number);

private:
    void onPacketSelected();
    void listPackets(qint64 fromNs, qint64 toNs);
    void relist();

    QPointer<DaemonLink> m_link;
    QString m_session;
    QList<qint64> m_connections;
    bool m_live = false;
    qint64 m_fromNs = std::numeric_limits<qint64>::min();
    qint64 m_toNs = std::numeric_limits<qint64>::max();
    bool m_followTail = true; // a live list keeps its newest row in view until scrolled up
    QTabWidget *m_tabs;
    PacketTimelineWidget *m_timeline;
    PacketListModel *m_packets;
    QTableView *m_packetView;
    QLabel *m_packetInfo;
    QComboBox *m_direction;
    QComboBox *m_flags;
    HexView *m_hex;
    FollowStreamView *m_stream;
    quint64 m_packetGeneration = 0;
    qint64 m_requested = -1; // the packet whose bytes were last asked for (-1: none)
};

} // namespace podtap

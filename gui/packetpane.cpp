#include "packetpane.h"

#include "daemonlink.h"
#include "displayformat.h"
#include "followstreamview.h"
#include "hexview.h"
#include "packetlistmodel.h"
#include "packettimelinewidget.h"

#include <QHeaderView>
#include <QItemSelectionModel>
#include <QJsonObject>
#include <QLabel>
#include <QSplitter>
#include <QTabWidget>
#include <QTableView>
#include <QVBoxLayout>

#include <limits>

namespace podtap {

PacketPane::PacketPane(DaemonLink *link, QWidget *parent)
    : QWidget(parent)
    , m_link(link)
    , m_tabs(new QTabWidget)
    , m_timeline(new PacketTimelineWidget(link))
    , m_packets(new PacketListModel(link, this))
    , m_packetView(new QTableView)
    , m_packetInfo(new QLabel)
    , m_hex(new HexView)
    , m_stream(new FollowStreamView(link))
{
    m_tabs->setObjectName(QStringLiteral("packetTabs"));
    m_timeline->setObjectName(QStringLiteral("packetTimeline"));
    m_packetView->setObjectName(QStringLiteral("packetsView"));
    m_hex->setObjectName(QStringLiteral("hexView"));
    m_stream->setObjectName(QStringLiteral("followStream"));
    m_packetInfo->setObjectName(QStringLiteral("packetInfo"));
    m_packetInfo->setSizePolicy(QSizePolicy::Preferred, QSizePolicy::Fixed);

    m_packetView->setModel(m_packets);
    m_packetView->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_packetView->setSelectionMode(QAbstractItemView::SingleSelection);
    m_packetView->verticalHeader()->hide();
    m_packetView->verticalHeader()->setDefaultSectionSize(m_packetView->fontMetrics().height() + 4);
    m_packetView->horizontalHeader()->setStretchLastSection(true);
    m_packetView->setWordWrap(false);
    m_packetView->setColumnWidth(PacketListModel::Time, 120);

    auto *packetsPage = new QWidget;
    auto *split = new QSplitter(Qt::Horizontal);
    split->addWidget(m_packetView);
    split->addWidget(m_hex);
    split->setStretchFactor(0, 3);
    split->setStretchFactor(1, 2);
    auto *packetsLayout = new QVBoxLayout(packetsPage);
    packetsLayout->setContentsMargins(0, 0, 0, 0);
    packetsLayout->addWidget(m_packetInfo);
    packetsLayout->addWidget(split);

    m_tabs->addTab(m_timeline, QStringLiteral("Timeline"));
    m_tabs->addTab(packetsPage, QStringLiteral("Packets"));
    m_tabs->addTab(m_stream, QStringLiteral("Stream"));
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_tabs);

    connect(m_timeline, &PacketTimelineWidget::binClicked, this, &PacketPane::showTimeRange);
    connect(m_packetView->selectionModel(), &QItemSelectionModel::currentRowChanged, this,
            &PacketPane::onPacketSelected);
    connect(m_packets, &PacketListModel::failed, m_packetInfo, &QLabel::setText);
}

void PacketPane::setSession(const QString &sessionId, bool live)
{
    m_session = sessionId;
    m_connections.clear();
    m_timeline->setSession(sessionId, live);
    listPackets(std::numeric_limits<qint64>::min(), std::numeric_limits<qint64>::max());
    m_stream->load({}, 0);
}

void PacketPane::setConnections(const QList<qint64> &connections)
{
    if (connections == m_connections)
        return;
    m_connections = connections;
    m_timeline->setConnections(connections);
    listPackets(std::numeric_limits<qint64>::min(), std::numeric_limits<qint64>::max());
    m_stream->load(m_session, connections.isEmpty() ? 0 : connections.constFirst());
}

void PacketPane::showTimeRange(qint64 fromNs, qint64 toNs)
{
    listPackets(fromNs, toNs);
    m_tabs->setCurrentIndex(PacketsTab);
}

void PacketPane::listPackets(qint64 fromNs, qint64 toNs)
{
    ++m_packetGeneration;
    m_hex->setBytes({});
    PacketListModel::Filter f;
    f.connections = m_connections;
    f.fromNs = fromNs;
    f.toNs = toNs;
    QString what = m_connections.isEmpty()
                           ? QStringLiteral("All packets")
                           : QStringLiteral("Packets of %1 connections").arg(m_connections.size());
    if (m_connections.size() == 1)
        what = QStringLiteral("Packets of connection %1").arg(m_connections.constFirst());
    if (fromNs != std::numeric_limits<qint64>::min())
        what += QStringLiteral(" from %1 to %2")
                        .arg(DisplayFormat::timeOfDay(fromNs), DisplayFormat::timeOfDay(toNs));
    m_packetInfo->setText(what);
    m_packets->setSource(m_session, f);
}

void PacketPane::onPacketSelected()
{
    const int row = m_packetView->selectionModel()->currentIndex().row();
    const qint64 n = m_packets->packetNumber(row);
    const quint64 generation = ++m_packetGeneration;
    if (n < 0 || !m_link) {
        m_hex->setBytes({});
        return;
    }
    m_link->request(
            QStringLiteral("session.packet"),
            QJsonObject{{QStringLiteral("id"), m_session}, {QStringLiteral("n"), n}}, this,
            [this, generation, n](const IpcClient::Reply &r) {
                if (generation != m_packetGeneration)
                    return;
                if (!r.ok) {
                    m_hex->setPlainText(r.errorMessage);
                    return;
                }
                const QByteArray data = QByteArray::fromBase64(
                        r.result.value(QLatin1String("data")).toString().toLatin1());
                m_hex->setBytes(
                        data,
                        QStringLiteral("Packet %1 · %2 bytes captured").arg(n).arg(data.size()));
                Q_EMIT packetShown(n);
            });
}

} // namespace podtap

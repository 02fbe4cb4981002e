#include "packetpane.h"

#include "daemonclient.h"
#include "daemonlink.h"
#include "displayformat.h"
#include "followstreamview.h"
#include "hexview.h"
#include "packetlistmodel.h"
#include "packettimelinewidget.h"

#include <QComboBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QItemSelectionModel>
#include <QJsonObject>
#include <QLabel>
#include <QScrollBar>
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
    , m_direction(new QComboBox)
    , m_flags(new QComboBox)
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
    m_direction->setObjectName(QStringLiteral("packetDirection"));
    m_direction->addItem(QStringLiteral("Both directions"), -1);
    m_direction->addItem(QStringLiteral("→ pod only"), 0);
    m_direction->addItem(QStringLiteral("← pod only"), 1);
    m_flags->setObjectName(QStringLiteral("packetFlags"));
    m_flags->addItem(QStringLiteral("Any flags"), 0);
    m_flags->addItem(QStringLiteral("SYN"), 0x02);
    m_flags->addItem(QStringLiteral("FIN"), 0x01);
    m_flags->addItem(QStringLiteral("RST"), 0x04);
    m_flags->addItem(QStringLiteral("SYN, FIN or RST"), 0x07);
    m_flags->addItem(QStringLiteral("PSH (data)"), 0x08);

    m_packetView->setModel(m_packets);
    m_packetView->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_packetView->setSelectionMode(QAbstractItemView::SingleSelection);
    m_packetView->verticalHeader()->hide();
    m_packetView->verticalHeader()->setDefaultSectionSize(m_packetView->fontMetrics().height() + 4);
    m_packetView->horizontalHeader()->setStretchLastSection(true);
    m_packetView->setWordWrap(false);
    m_packetView->setColumnWidth(PacketListModel::Time, 120);
    // Uniform rows: the view never measures rows it does not show (10 M rows stay cheap).
    m_packetView->verticalHeader()->setSectionResizeMode(QHeaderView::Fixed);
    m_packetView->horizontalHeader()->setSectionResizeMode(QHeaderView::Interactive);

    auto *packetsPage = new QWidget;
    auto *split = new QSplitter(Qt::Horizontal);
    split->addWidget(m_packetView);
    split->addWidget(m_hex);
    split->setStretchFactor(0, 3);
    split->setStretchFactor(1, 2);
    auto *packetsLayout = new QVBoxLayout(packetsPage);
    packetsLayout->setContentsMargins(0, 0, 0, 0);
    auto *bar = new QHBoxLayout;
    bar->addWidget(m_packetInfo, 1);
    bar->addWidget(m_direction);
    bar->addWidget(m_flags);
    packetsLayout->addLayout(bar);
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
    // A row selected before its page arrived shows its bytes once the page is there.
    connect(m_packets, &PacketListModel::pageLoaded, this, [this](qint64 offset, int rows) {
        const int row = m_packetView->selectionModel()->currentIndex().row();
        if (row >= offset && row < offset + rows && m_packets->packetNumber(row) != m_requested)
            onPacketSelected();
    });
    connect(m_direction, &QComboBox::currentIndexChanged, this, [this] { relist(); });
    connect(m_flags, &QComboBox::currentIndexChanged, this, [this] { relist(); });
    // A running session: stay at the newest packet unless the user scrolled away from it.
    connect(m_packetView->verticalScrollBar(), &QScrollBar::valueChanged, this,
            [this](int v) { m_followTail = v >= m_packetView->verticalScrollBar()->maximum(); });
    connect(m_packets, &QAbstractItemModel::rowsInserted, this, [this] {
        if (m_live && m_followTail)
            m_packetView->scrollToBottom();
    });
}

void PacketPane::setDirectionFilter(int direction)
{
    m_direction->setCurrentIndex(std::max(0, m_direction->findData(direction)));
}

void PacketPane::setFlagsFilter(quint8 flags)
{
    m_flags->setCurrentIndex(std::max(0, m_flags->findData(int(flags))));
}

void PacketPane::relist()
{
    listPackets(m_fromNs, m_toNs);
}

void PacketPane::setSession(const QString &sessionId, bool live)
{
    m_session = sessionId;
    m_live = live;
    m_followTail = true;
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
    m_requested = -1;
    m_hex->setBytes({});
    PacketListModel::Filter f;
    f.connections = m_connections;
    f.fromNs = fromNs;
    f.toNs = toNs;
    f.direction = m_direction->currentData().toInt();
    f.flags = quint8(m_flags->currentData().toInt());
    m_fromNs = fromNs;
    m_toNs = toNs;
    QString what = m_connections.isEmpty()
                           ? QStringLiteral("All packets")
                           : QStringLiteral("Packets of %1 connections").arg(m_connections.size());
    if (m_connections.size() == 1)
        what = QStringLiteral("Packets of connection %1").arg(m_connections.constFirst());
    if (fromNs != std::numeric_limits<qint64>::min())
        what += QStringLiteral(" from %1 to %2")
                        .arg(DisplayFormat::timeOfDay(fromNs), DisplayFormat::timeOfDay(toNs));
    if (f.direction >= 0 || f.flags != 0)
        what += QStringLiteral(" (%1, %2)").arg(m_direction->currentText(), m_flags->currentText());
    m_packetInfo->setText(what);
    // A time range is a finished slice of the past: only the whole list grows.
    m_packets->setSource(m_session, f, m_live && fromNs == std::numeric_limits<qint64>::min());
}

void PacketPane::onPacketSelected()
{
    const int row = m_packetView->selectionModel()->currentIndex().row();
    const qint64 n = m_packets->packetNumber(row);
    const quint64 generation = ++m_packetGeneration;
    m_requested = n;
    if (n < 0 || !m_link) {
        m_hex->setBytes({});
        return;
    }
    DaemonClient(m_link).sessionPacket(
            QJsonObject{{QStringLiteral("id"), m_session}, {QStringLiteral("n"), n}}, this,
            [this, generation, n](const DaemonClient::JsonAnswer &r) {
                if (generation != m_packetGeneration)
                    return;
                if (!r.ok()) {
                    m_hex->setPlainText(r.error.message);
                    return;
                }
                const QByteArray data = QByteArray::fromBase64(
                        r.value.value(QLatin1String("data")).toString().toLatin1());
                m_hex->setBytes(
                        data,
                        QStringLiteral("Packet %1 · %2 bytes captured").arg(n).arg(data.size()));
                Q_EMIT packetShown(n);
            });
}

} // namespace podtap
